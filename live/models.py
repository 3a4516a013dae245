"""Live coverage: a published story that carries timestamped updates, newest first, while an editor keeps it open."""

from html import unescape

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from articles.blocks import picture_ids, story_blocks, with_pictures
from articles.models import BodyField
from articles.rendering import body_parts_of
from articles.sanitize import sanitize_body
from newsroom.text import validate_one_line

NO_SUMMARY = "A closed live blog needs its summary: say in a few lines what happened."


def has_words(html: str) -> bool:
    """Whether rich text says anything (the editor's empty paragraph, or one of spaces, does not)."""
    return bool(unescape(strip_tags(html or "")).strip())


def to_the_second():
    """Now, in whole seconds: the time an update shows and states (HTML's datetime takes at most milliseconds)."""
    return timezone.now().replace(microsecond=0)


class LiveBlog(models.Model):
    article = models.OneToOneField("articles.Article", on_delete=models.CASCADE, related_name="live_blog")
    opened_at = models.DateTimeField(default=to_the_second, editable=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    summary = BodyField(
        "closing summary", blank=True, help_text="What happened, in a few lines: shown at the top once it is closed."
    )
    # The origins the updates' embeds play from, kept as updates are posted, changed and deleted
    # (live/services.py), so the story's page states its frames from the row it is read with.
    frame_origins = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self):
        return f"Live: {self.article.headline}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def clean(self):
        if not self.is_open and not has_words(self.summary):
            raise ValidationError({"summary": NO_SUMMARY})

    @property
    def summary_html(self):
        return mark_safe(sanitize_body(self.summary))  # noqa: S308 (the body allow-list)


class LiveUpdate(models.Model):
    live_blog = models.ForeignKey(LiveBlog, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey("articles.Author", on_delete=models.PROTECT, related_name="+")
    headline = models.CharField(max_length=200, blank=True, validators=[validate_one_line])
    body = BodyField(story=True)
    pinned = models.BooleanField(default=False, help_text="Kept at the top of the updates until unpinned.")
    published_at = models.DateTimeField(default=to_the_second, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-pinned", "-published_at", "-id"]

    def __str__(self):
        return self.headline or f"Update of {timezone.localtime(self.published_at):%H:%M}"

    def get_absolute_url(self):
        return f"{self.live_blog.article.get_absolute_url()}#update-{self.pk}"

    @cached_property
    def parts(self):
        """The update's text as readers see it (with_parts gives a list of updates theirs in two queries)."""
        return with_parts([self])[0].parts


def with_parts(entries: list[LiveUpdate]) -> list[LiveUpdate]:
    """The updates, each with its text's parts ready to show: its story blocks and embeds, in a query for all their
    pictures and one for all their embeds (only if they have any)."""
    from embeds.body import with_embeds

    lists = with_embeds(
        *with_pictures(*(story_blocks(body_parts_of(entry.body), ids=f"u{entry.pk}-") for entry in entries))
    )
    for entry, parts in zip(entries, lists, strict=True):
        entry.__dict__["parts"] = parts
    return entries


def page_keys(entries: list[LiveUpdate]) -> set[str]:
    """What the updates show besides the story's own rows: their pictures' and embeds' keys."""
    from embeds.body import page_keys as embed_keys

    keys = set()
    for entry in entries:
        keys |= {f"image:{pk}" for pk in picture_ids(entry.parts)} | embed_keys(entry.body)
    return keys


def live_blog_of(article) -> LiveBlog | None:
    """The story's live blog, if it is one (no query when it was selected with the story)."""
    try:
        return article.live_blog
    except ObjectDoesNotExist:
        return None


def updates_version(updates) -> str:
    """Changes whenever an update is posted, changed or removed: the refresh compares it."""
    latest = max((update.updated_at for update in updates), default=None)
    return f"{len(updates)}-{latest.timestamp() if latest else 0}"


def live_context(article) -> dict:
    """What the story's page shows of its live coverage: the blog and its updates (one query), or nothing. Its
    updates are also what the page's JSON-LD lists (articles_tags.article_json_ld)."""
    live_blog = live_blog_of(article)
    if live_blog is None:
        return {}
    entries = with_parts(list(live_blog.updates.select_related("author")))
    return {
        "live_blog": live_blog,
        "live_updates": entries,
        "live_version": updates_version(entries),
        "live_refresh_seconds": settings.LIVE_REFRESH_SECONDS,
    }
