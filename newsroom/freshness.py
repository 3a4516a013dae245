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

import itertools
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from .redis_cache import log_cache_failure

VERSION_KEY = "content-version"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContentVersion:
    key: str  # different for every change, however close together
    # When readers' content last changed, for Last-Modified: whole seconds (all HTTP dates have), and a
    # second later at least for every commit that changes anything, so If-Modified-Since never matches a
    # page older than the change.
    changed_at: datetime
    next_change_at: datetime | None  # when the next scheduled article goes out, if one is scheduled
    committed_ns: int = 0  # when a commit last moved changed_at on
    commit: str = ""  # which transaction that was

    def seconds_valid(self, now: datetime) -> int | None:
        """How long anything cached under this version may be kept: until the next scheduled article."""
        if self.next_change_at is None:
            return None
        return max(1, int((self.next_change_at - now).total_seconds()) + 1)


# The signals of one transaction's saves all run their commit callbacks one after another: together they
# move changed_at on once, not once each (which would push it into the future).
SAME_COMMIT_NS = 1_000_000_000


def _whole_second_up(at: datetime) -> datetime:
    return at.replace(microsecond=0) + timedelta(seconds=1) if at.microsecond else at


def _next_scheduled(now: datetime) -> datetime | None:
    from articles.models import Article

    return Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=now).aggregate(
        next=Min("published_at")
    )["next"]


def _read() -> ContentVersion | None:
    try:
        return cache.get(VERSION_KEY)
    except Exception as exc:  # a cache outage must not take the site down: render uncached meanwhile
        log_cache_failure(exc, "read the content version")
        return None


def _store(version: ContentVersion) -> ContentVersion:
    timeout = None if settings.CONTENT_VERSION_SHARED else settings.CONTENT_VERSION_LOCAL_SECONDS
    try:
        cache.set(VERSION_KEY, version, timeout)
    except Exception as exc:
        log_cache_failure(exc, "store the content version")
    return version


_UNREAD = object()


def _new_version(at: datetime, *, committed: bool, commit: str = "", previous=_UNREAD) -> ContentVersion:
    """A new key; and, for a committed change (or a scheduled time reached), a later changed_at."""
    previous = _read() if previous is _UNREAD else previous
    now_ns = time.time_ns()
    if previous is None:  # first use, or the cache was emptied: nothing can be newer than now
        return _store(ContentVersion(f"{now_ns:x}", _whole_second_up(timezone.now()), _next_scheduled(timezone.now())))
    same_commit = commit and commit == previous.commit and now_ns - previous.committed_ns < SAME_COMMIT_NS
    if committed and not same_commit:
        changed_at = max(_whole_second_up(at), previous.changed_at + timedelta(seconds=1))
        committed_ns = now_ns
    else:
        changed_at, committed_ns, commit = previous.changed_at, previous.committed_ns, previous.commit
    return _store(
        ContentVersion(
            key=f"{now_ns:x}",
            changed_at=changed_at,
            next_change_at=_next_scheduled(timezone.now()),
            committed_ns=committed_ns,
            commit=commit,
        )
    )


def _up_to_date(version: ContentVersion | None) -> ContentVersion:
    now = timezone.now()
    if version is None:
        return _new_version(now, committed=True, previous=None)
    if version.next_change_at is not None and version.next_change_at <= now:
        # A scheduled article has just gone out.
        return _new_version(version.next_change_at, committed=True, previous=version)
    return version


def current() -> ContentVersion:
    """The version readers' content is at now (a cache read; a query only when it has to move on)."""
    return _up_to_date(_read())


def content_changed() -> None:
    """A new version now, and a new version with a later changed_at when the transaction commits (at once
    outside one). The first keeps readers' requests from caching what they read under the old version;
    the second from caching, under the first, what they read before the commit."""
    try:
        _new_version(timezone.now(), committed=False)
    except Exception:  # never fail an editor's save over the cache
        logger.exception("Cannot move the content version on")
    commit = _transaction_token()
    transaction.on_commit(lambda: _new_version(timezone.now(), committed=True, commit=commit), robust=True)


_tokens = itertools.count(1)


def _transaction_token() -> str:
    """The same for every change in one transaction, different for the next (a token on its outermost
    atomic block)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return ""
    outermost = connection.atomic_blocks[0]
    if not hasattr(outermost, "freshness_token"):
        outermost.freshness_token = f"{os.getpid()}:{next(_tokens)}"
    return outermost.freshness_token


FRAGMENTS: set[str] = set()


def fragment(name: str) -> str:
    """Declare a cached fragment (a part of every page, such as the header's sections), so that each request
    reads it in its one round trip to the cache; returns its cache key."""
    FRAGMENTS.add(name)
    return f"fragment:{name}"


@dataclass
class Snapshot:
    """What one request reads from the cache in one round trip: the content version, every fragment and, for
    an anonymous reader, the page. Values are kept with the version key they were made under and count only
    under that version. What the request makes meanwhile is written back in one round trip at its end."""

    version: ContentVersion
    found: dict = field(default_factory=dict)
    made: dict = field(default_factory=dict)

    def get(self, key: str):
        stored = self.found.get(key)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.version.key:
            return stored[1]
        return None

    def keep(self, key: str, value) -> None:
        self.made[key] = (self.version.key, value)

    def timeout(self) -> int:
        until_next = self.version.seconds_valid(timezone.now())
        return min(until_next or settings.CONTENT_CACHE_SECONDS, settings.CONTENT_CACHE_SECONDS)

    def write(self) -> None:
        if not self.made:
            return
        try:
            cache.set_many(self.made, self.timeout())
        except Exception as exc:
            log_cache_failure(exc, "store pages and fragments")
        self.made = {}


def snapshot(*keys: str) -> Snapshot:
    """The content version, every declared fragment and these keys, in one round trip to the cache."""
    wanted = [VERSION_KEY, *(f"fragment:{name}" for name in sorted(FRAGMENTS)), *keys]
    try:
        found = cache.get_many(wanted)
    except Exception as exc:
        log_cache_failure(exc, "read the content version, fragments and page")
        found = {}
    version = found.pop(VERSION_KEY, None)
    return Snapshot(_up_to_date(version if isinstance(version, ContentVersion) else None), found)


def cached(name: str, build, *, within: Snapshot | None = None):
    """`build()`'s value, kept in the cache until the content version moves on. Within a request's snapshot
    it costs no round trip of its own; elsewhere (a command, a test) it reads and writes the cache itself."""
    key = fragment(name)
    own = within is None
    if own:
        within = snapshot()
    value = within.get(key)
    if value is None:
        value = build()
        within.keep(key, value)
        if own:
            within.write()
    return value


def _on_change(sender, raw=False, action="post_save", **kwargs):
    # Not for fixtures being loaded, nor for the "pre_" half of an m2m change (its "post_" follows).
    if not raw and action.startswith("post_"):
        content_changed()


def watch(*models) -> None:
    """Readers see these models: any save or delete of one moves the content version on."""
    for model in models:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"freshness-save-{model._meta.label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"freshness-delete-{model._meta.label}")
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            m2m_changed.connect(_on_change, sender=through, dispatch_uid=f"freshness-m2m-{through._meta.label}")
