"""How fresh the public site is: one content version that moves on whenever anything readers see changes.

Everything cached for readers (the site's header and footer, whole pages) is keyed by this version, and
`Last-Modified` is the time it last moved, so a publish, an edit, an unpublish or a new section shows at
once, with nothing to purge. The version moves

- after the commit of any save or delete of a model readers see (`watch` connects the signals), and of
  writes that skip signals, through `content_changed()` (the services call it);
- when the time of the next scheduled article comes: the version remembers when that is, and the first
  request after it moves the version on.

The version lives in the default cache. Redis (REDIS_URL) shares it between processes; the local-memory
cache cannot, so there the version is only trusted for a short while (`CONTENT_VERSION_LOCAL_SECONDS`).
"""

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

VERSION_KEY = "content-version"


@dataclass(frozen=True)
class ContentVersion:
    key: str  # different for every change, however close together
    changed_at: datetime  # when readers' content last changed, for Last-Modified
    next_change_at: datetime | None  # when the next scheduled article goes out, if one is scheduled

    def seconds_valid(self, now: datetime) -> int | None:
        """How long anything cached under this version may be kept: until the next scheduled article."""
        if self.next_change_at is None:
            return None
        return max(1, int((self.next_change_at - now).total_seconds()) + 1)


def _next_scheduled(now: datetime) -> datetime | None:
    from .models import Article

    return Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=now).aggregate(
        next=Min("published_at")
    )["next"]


def _store(version: ContentVersion) -> ContentVersion:
    timeout = None if settings.CONTENT_VERSION_SHARED else settings.CONTENT_VERSION_LOCAL_SECONDS
    cache.set(VERSION_KEY, version, timeout)
    return version


def _new_version(changed_at: datetime) -> ContentVersion:
    return _store(
        ContentVersion(
            key=f"{time.time_ns():x}",
            changed_at=changed_at,
            next_change_at=_next_scheduled(timezone.now()),
        )
    )


def current() -> ContentVersion:
    """The version readers' content is at now (a cache read; a query only when it has to move on)."""
    version = cache.get(VERSION_KEY)
    now = timezone.now()
    if version is None:
        return _new_version(now)
    if version.next_change_at is not None and version.next_change_at <= now:
        return _new_version(version.next_change_at)  # a scheduled article has just gone out
    return version


def content_changed() -> None:
    """Move the version on now, and again when the current transaction commits: a reader's request in
    between may have cached what it read before the commit, under the version of the first move."""
    _new_version(timezone.now())
    transaction.on_commit(lambda: _new_version(timezone.now()))


def cached(name: str, build, *, version: ContentVersion | None = None):
    """`build()`'s value, kept in the cache until the content version moves on."""
    version = version or current()
    timeout = version.seconds_valid(timezone.now()) or settings.CONTENT_CACHE_SECONDS
    return cache.get_or_set(f"{name}:{version.key}", build, min(timeout, settings.CONTENT_CACHE_SECONDS))


def _on_change(sender, raw=False, action="post_save", **kwargs):
    # Not for fixtures being loaded, nor for the "pre_" half of an m2m change (its "post_" follows).
    if not raw and action.startswith("post_"):
        content_changed()


def watch(*models) -> None:
    """Readers see these models: any save or delete of one moves the content version on."""
    for model in models:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"freshness-save-{model._meta.label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"freshness-delete-{model._meta.label}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_on_change, sender=through, dispatch_uid=f"freshness-m2m-{through._meta.label}")
