"""Opening, updating and closing live coverage. An update goes out at once (the story is already published): it
is kept as a revision, the story's time of last change moves on (feeds, sitemaps and JSON-LD carry it), and every
page showing the story is refreshed when the update commits."""

import reversion
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from articles.dependencies import article_change_keys
from articles.models import Article, Author, rich_text_names, validate_rich_texts
from articles.nesting import validate_rich_text
from embeds.body import frame_origins
from newsroom import freshness

from .models import NO_SUMMARY, LiveBlog, LiveUpdate, has_words, to_the_second


class LiveError(Exception):
    """A step the live blog is not in a state for, or the person may not take: said to them as it is."""


SIGNED_BY_OTHERS = "Post under your own name or a byline of this story: only editors post for others."


def can_post(user, live_blog: LiveBlog) -> bool:
    """Editors, and the journalists on the story: who started it, or has a byline on it."""
    if user.has_perm("live.change_liveblog"):
        return True
    return user.has_perm("live.add_liveupdate") and Article.objects.by(user).filter(pk=live_blog.article_id).exists()


def may_sign(user, live_blog: LiveBlog, author) -> bool:
    """Editors post under any name; journalists under their own, or a byline of the story."""
    if user.has_perm("live.change_liveblog"):
        return True
    return author.user_id == user.pk or live_blog.article.bylines.filter(author=author).exists()


def signable_authors(user, live_blog: LiveBlog | None = None):
    """The names the user may post under: on the live blog's story, or (none chosen yet) on any they may post to."""
    authors = Author.objects.all()
    if user.has_perm("live.change_liveblog"):
        return authors
    stories = [live_blog.article_id] if live_blog else open_blogs_for(user).values("article_id")
    return authors.filter(Q(user=user) | Q(bylines__article__in=stories)).distinct()


def open_blogs_for(user):
    """The open live blogs the user may post to."""
    blogs = LiveBlog.objects.filter(closed_at__isnull=True).select_related("article")
    if user.has_perm("live.change_liveblog"):
        return blogs
    return blogs.filter(article__in=Article.objects.by(user))


def _story_changed(article_id: int) -> None:
    Article.objects.filter(pk=article_id).update(updated_at=timezone.now())
    freshness.changed(*article_change_keys([article_id]))


def _frames_kept(live_blog_id: int) -> None:
    """The live blog's record of the origins its updates' embeds play from, made again from its updates."""
    origins = set()
    for body in LiveUpdate.objects.filter(live_blog_id=live_blog_id).values_list("body", flat=True):
        origins |= frame_origins(body)
    LiveBlog.objects.filter(pk=live_blog_id).update(frame_origins=sorted(origins))


@transaction.atomic
def live_update_deleted(*, update: LiveUpdate) -> None:
    """After an update is deleted (by an editor, in the back office): the page and the blog's frames follow. The
    blog's row is locked first, as a post locks it, so an update posted meanwhile is counted in, not lost."""
    LiveBlog.objects.select_for_update().filter(pk=update.live_blog_id).first()
    _frames_kept(update.live_blog_id)
    _story_changed(update.live_blog.article_id)


@transaction.atomic
def live_blog_open(*, live_blog: LiveBlog, user) -> LiveBlog:
    """A new live blog on its published story (one a story: a second is refused)."""
    if not Article.objects.published().filter(pk=live_blog.article_id).exists():
        raise LiveError("Only a published story can be a live blog: publish it first.")
    if LiveBlog.objects.filter(article_id=live_blog.article_id).exists():
        raise LiveError("This story is a live blog already.")
    live_blog.opened_by = user
    live_blog.save()
    _story_changed(live_blog.article_id)
    return live_blog


@transaction.atomic
def live_update_save(*, update: LiveUpdate, user) -> LiveUpdate:
    """Post a new update (out at once) or save a change to one, as a revision. Only a text it changes is held to
    the limits (an update stored before them can still be pinned)."""
    stored = LiveUpdate.objects.filter(pk=update.pk).values(*rich_text_names(LiveUpdate)).first() if update.pk else None
    validate_rich_texts(update, stored=stored)
    live_blog = LiveBlog.objects.select_for_update().get(pk=update.live_blog_id)
    if not can_post(user, live_blog):
        raise LiveError("Only the journalists on this story and editors can post updates to it.")
    new = update.pk is None
    kept_name = not new and LiveUpdate.objects.filter(pk=update.pk, author_id=update.author_id).exists()
    if not kept_name and not may_sign(user, live_blog, update.author):
        raise LiveError(SIGNED_BY_OTHERS)
    if not live_blog.is_open and (new or not user.has_perm("live.change_liveblog")):
        raise LiveError("This live blog is closed: no more updates can be posted, and only editors correct them.")
    if new:
        update.created_by, update.published_at = user, to_the_second()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment("Posted." if new else "Changed.")
        update.save()
    _frames_kept(live_blog.pk)
    _story_changed(live_blog.article_id)
    return update


@transaction.atomic
def live_blog_close(*, live_blog: LiveBlog, user, summary: str) -> LiveBlog:
    live_blog = LiveBlog.objects.select_for_update().get(pk=live_blog.pk)
    if not live_blog.is_open:
        raise LiveError("This live blog is already closed.")
    if not has_words(summary):
        raise LiveError(NO_SUMMARY)
    if summary != live_blog.summary:  # the summary as it was stored is closed with, whatever the limits
        validate_rich_text(summary)
    live_blog.summary, live_blog.closed_at, live_blog.closed_by = summary, to_the_second(), user
    live_blog.save()
    _story_changed(live_blog.article_id)
    return live_blog
