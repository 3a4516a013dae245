import dataclasses
from dataclasses import dataclass
from datetime import datetime

import reversion
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from reversion.models import Version

from audit import services as audit
from newsroom import freshness
from newsroom.queueing import enqueue

from . import imaging
from .models import Article, Image, OldSlug, rich_text_names, validate_rich_texts
from .search import index_articles

EMBARGO_LIFTED_BY_ITS_OWN_STEP = (
    "An embargo cannot be cleared or brought forward by saving the article. Lifting it is a step of its own, "
    "kept in the log: press “Save and lift embargo”, or choose “Lift the embargo on selected” in the list of "
    "articles; then set a new embargo if one is needed."
)


def embargo_lifted(in_force: datetime | None, new: datetime | None) -> bool:
    """Whether `new` clears the embargo in force or brings it forward (forms post whole seconds)."""
    return in_force is not None and (new is None or new < in_force.replace(microsecond=0))


class EditConflict(Exception):
    """Someone else saved the article after this editor opened it."""


@dataclass(frozen=True)
class _Standing:
    """Where an article stands now, which restoring an old version of its text does not change: its version
    count, its place on the home page, whether and when it is public, its embargo (only its own step lifts
    that), and when readers first saw it (its corrections stay final)."""

    version: int
    slug: str
    status: str
    published_at: datetime | None
    top_story: bool
    embargo_until: datetime | None
    first_published_at: datetime | None

    @classmethod
    def lock(cls, pk) -> "_Standing | None":
        fields = [field.name for field in dataclasses.fields(cls)]
        row = Article.objects.select_for_update().filter(pk=pk).values(*fields).first()
        return cls(**row) if row else None

    def keep(self, article: Article) -> None:
        for field in dataclasses.fields(self):
            if field.name not in {"version", "slug"}:
                setattr(article, field.name, getattr(self, field.name))


def image_build_renditions(*, image: Image, replace: bool = False) -> int:
    """Make the image's renditions (on a worker, so no reader's or editor's request ever has to), then record
    which exist, unless the picture was replaced meanwhile. Returns how many files were written."""
    name = image.file.name
    written = imaging.build_renditions(image_pk=image.pk, original_name=name, replace=replace)
    widths = imaging.rendition_widths(image.width)
    with transaction.atomic():
        current = Image.objects.select_for_update().filter(pk=image.pk, file=name).first()
        if current is not None and current.built_widths != widths:
            current.built_widths = widths
            current.save(update_fields=["built_widths"])  # the pages that show it are made again
    image.built_widths = widths
    return written


def image_queue_renditions(image: Image) -> None:
    """After the upload commits, a worker makes its renditions; until then pages show the original."""
    from .tasks import build_image_renditions

    transaction.on_commit(lambda: enqueue(build_image_renditions, image.pk), robust=True)


def image_files_delete(*, name: str, image_pk: int) -> None:
    """The stored original and every rendition of an image that was deleted (or of a replaced picture)."""
    from .tasks import delete_image_files

    transaction.on_commit(lambda: enqueue(delete_image_files, name, image_pk), robust=True)


@transaction.atomic
def image_create(*, file, alt_text: str, caption: str = "", credit: str = "", uploaded_by=None) -> Image:
    """Store a checked, metadata-free copy of an upload; its renditions are made after commit."""
    image = Image(alt_text=alt_text, caption=caption, credit=credit, uploaded_by=uploaded_by)
    image.full_clean(exclude=["file"])
    cleaned = imaging.prepare_upload(file)
    image.file.save(cleaned.name, cleaned, save=False)
    image.save()  # its renditions are queued when this commits (articles/image_files.py)
    return image


def article_save(*, article: Article, user, expected_version: int | None) -> Article:
    """Save an edit only if nobody else saved the article since it was opened at expected_version.

    The check is the database update itself: the version moves on only where it still matches. A save that
    publishes, schedules or unpublishes is on the audit record. Only rich text the save changes is held to the
    limits (a story stored before them can still be published or unpublished).
    """
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        before = (
            Article.objects.filter(pk=article.pk)
            .values(
                "slug",
                "first_published_at",
                "embargo_until",
                "status",
                "published_at",
                "top_story",
                *rich_text_names(Article),
            )
            .first()
        )
        validate_rich_texts(article, stored=before)
        if before and embargo_lifted(before["embargo_until"], article.embargo_until):
            raise WorkflowError(EMBARGO_LIFTED_BY_ITS_OWN_STEP)
        if article.pk is not None and expected_version is not None:
            claimed = Article.objects.filter(pk=article.pk, version=expected_version).update(
                version=expected_version + 1
            )
            if not claimed:
                raise EditConflict
            article.version = expected_version + 1
        article.updated_by = user
        if article.pk is None:
            article.created_by = user
        article.save()
        _audit_going_public(article, before, user)
        if article.top_story != (before["top_story"] if before else False):
            _audit_top_story(article, user)
        transaction.on_commit(lambda: index_articles(Article.objects.filter(pk=article.pk)))
        if before:
            _keep_old_address(article, before["slug"], was_public=before["first_published_at"] is not None)
    return article


def _on_site(status: str, published_at: datetime | None, now: datetime) -> str:
    if status != Article.Status.PUBLISHED:
        return "off"
    return "scheduled" if published_at is not None and published_at > now else "live"


def _when(at: datetime) -> str:
    """4 December 2026 10:00, in the newsroom's time zone."""
    return date_format(timezone.localtime(at), "j F Y H:i")


def _audit_going_public(article: Article, before: dict | None, user) -> None:
    """A save that puts the article on the site, schedules it (or moves its time) or takes it off is on the audit
    record, whichever way it was done: the Publish button or action, or the form's status and date."""
    now = timezone.now()
    was = _on_site(before["status"], before["published_at"], now) if before else "off"
    now_on = _on_site(article.status, article.published_at, now)
    if now_on == "live" and was != "live":
        audit.record(audit.Action.PUBLISH, actor=user, target=article)
    elif now_on == "scheduled" and (was != "scheduled" or before["published_at"] != article.published_at):
        audit.record(
            audit.Action.SCHEDULE, actor=user, target=article, detail=f"Scheduled for {_when(article.published_at)}"
        )
    elif now_on == "off" and was != "off":
        detail = f"Was scheduled for {_when(before['published_at'])}" if was == "scheduled" else ""
        audit.record(audit.Action.UNPUBLISH, actor=user, target=article, detail=detail)


def _audit_top_story(article: Article, user) -> None:
    detail = "Made a top story" if article.top_story else "Taken out of the top stories"
    audit.record(audit.Action.TOP_STORY, actor=user, target=article, detail=detail)


def _keep_old_address(article: Article, old_slug: str, *, was_public: bool) -> None:
    """Readers and search engines know a public article's old address: keep it working."""
    if was_public and old_slug != article.slug:
        OldSlug.objects.filter(slug=article.slug).delete()
        OldSlug.objects.update_or_create(slug=old_slug, defaults={"article": article})


def article_restore(*, article: Article, version: Version, user) -> Article:
    """Bring back what an old version of the article said: its text, bylines, figures, quotes, related news and
    tags, as one new version (the old ones all stay in the history).

    `article` is the article as the editor saw it when choosing the version: if anyone saved it since, nothing is
    restored (EditConflict). Where the article stands is kept (see `_Standing`); corrections are never touched,
    and an address readers knew keeps working.
    """
    _require_publisher(user, "Only editors can restore an old version of an article.")
    if version.content_type.model_class() is not Article or version.object_id != str(article.pk):
        raise WorkflowError(f"That version is not a version of “{article}”.")
    with transaction.atomic(), reversion.create_revision():
        standing = _Standing.lock(article.pk)
        if standing is None:
            raise WorkflowError(f"“{article}” has been deleted; recover it from the deleted articles instead.")
        if standing.version != article.version:
            raise EditConflict
        saved_at = timezone.localtime(version.revision.date_created)
        version.revision.revert(delete=True)
        restored = Article.objects.get(pk=article.pk)
        standing.keep(restored)
        restored.version = standing.version + 1
        restored.updated_by = user
        restored.save()
        _keep_old_address(restored, standing.slug, was_public=standing.first_published_at is not None)
        message = f"Restored the version saved on {saved_at:%d %B %Y at %H:%M}."
        reversion.set_user(user)
        reversion.set_comment(message)
        transaction.on_commit(lambda: index_articles(Article.objects.filter(pk=article.pk)))
        audit.record(audit.Action.RESTORE, actor=user, target=restored, detail=message)
        _log(restored, user, message)
    return restored


class WorkflowError(Exception):
    """A workflow step that cannot be taken now; the message says why, for the person who tried."""


def _log(article: Article, user, message: str) -> None:
    LogEntry.objects.log_actions(user.pk, [article], CHANGE, change_message=message, single_object=True)


def _require_publisher(user, why: str = "Only editors can publish, schedule or unpublish articles.") -> None:
    if not user.has_perm("articles.publish_article"):
        raise PermissionDenied(why)


def article_submit(*, article: Article, user) -> Article:
    """A journalist hands a draft to the editors."""
    if not user.has_perm("articles.change_article") or not Article.objects.editable_by(user).filter(pk=article.pk):
        raise PermissionDenied("You can submit only your own drafts.")
    if article.status != Article.Status.DRAFT:
        raise WorkflowError(f"“{article}” is not a draft, so it cannot be submitted for review.")
    article.status = Article.Status.REVIEW
    article_save(article=article, user=user, expected_version=article.version)
    _log(article, user, "Submitted for review.")
    return article


def article_publish(*, article: Article, user, at=None) -> Article:
    """Publish now, or schedule for `at`; never before the article's embargo."""
    _require_publisher(user)
    if article.is_live:
        raise WorkflowError(f"“{article}” is already published.")
    at = at or timezone.now()
    article.status = Article.Status.PUBLISHED
    if problem := article.embargo_problem(at):
        raise WorkflowError(problem)
    article.published_at = at
    article_save(article=article, user=user, expected_version=article.version)
    scheduled = at > timezone.now()
    _log(article, user, f"Scheduled for {timezone.localtime(at):%d %B %Y %H:%M}." if scheduled else "Published.")
    return article


@transaction.atomic
def article_lift_embargo(*, article: Article, user) -> Article:
    """Let an embargoed article be published before its embargo: an editor's step of its own, logged.

    Only that field changes, as for top stories: readers see nothing, but the version moves on so a form
    opened before this cannot put the embargo back unnoticed.
    """
    if not user.has_perm("articles.publish_article"):
        raise PermissionDenied("Only editors can lift an embargo.")
    until = Article.objects.select_for_update().filter(pk=article.pk).values_list("embargo_until", flat=True).first()
    if until is None:
        raise WorkflowError(f"“{article}” has no embargo to lift.")
    Article.objects.filter(pk=article.pk).update(embargo_until=None, version=F("version") + 1)
    article.refresh_from_db(fields=["embargo_until", "version"])
    audit.record(audit.Action.EMBARGO_LIFT, actor=user, target=article, detail=f"The embargo was until {_when(until)}")
    _log(article, user, f"Embargo lifted (it was until {timezone.localtime(until):%d %B %Y %H:%M}).")
    return article


def article_set_top_story(*, article: Article, user, top_story: bool) -> Article:
    """Put an article among the home page's top stories, or take it out.

    Only that field changes: the article is not marked updated for readers, but its version moves on so
    a form opened before this cannot quietly undo it.
    """
    _require_publisher(user)
    with transaction.atomic():
        if (
            not Article.objects.filter(pk=article.pk)
            .exclude(top_story=top_story)
            .update(top_story=top_story, version=F("version") + 1)
        ):
            return article  # already so
        freshness.changed("front")  # update() sends no signal
        article.refresh_from_db(fields=["top_story", "version"])
        _audit_top_story(article, user)
        _log(article, user, "Made a top story." if top_story else "Taken out of the top stories.")
    return article


def article_delete(*, article: Article, user) -> None:
    """Delete an article. One that readers have seen or that is due to go out takes an editor, and is on the
    audit record with where it stood; a draft nobody saw is just gone (its versions stay for recovery)."""
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article.pk).first()
        if article is None:
            return  # deleted meanwhile
        if article.deleting_takes_an_editor:
            _require_publisher(user, "Only editors can delete an article that is or has been published.")
            first = article.first_published_at or article.published_at
            if article.is_scheduled:
                detail = f"It was scheduled for {_when(article.published_at)}"
            else:
                detail = "It was live" if article.is_live else "It was off the site"
                detail += f"; first public on {_when(first)}" if first else ""
            audit.record(audit.Action.ARTICLE_DELETE, actor=user, target=article, detail=detail)
        article.delete()


def article_unpublish(*, article: Article, user) -> Article:
    """Take a published or scheduled article off the site; it goes back to draft."""
    _require_publisher(user)
    if article.status != Article.Status.PUBLISHED:
        raise WorkflowError(f"“{article}” is not published.")
    article.status = Article.Status.DRAFT
    article.top_story = False  # if it comes back, it comes back as news, not pinned to the front
    article_save(article=article, user=user, expected_version=article.version)
    _log(article, user, "Unpublished.")
    return article
