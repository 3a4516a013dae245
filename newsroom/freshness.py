"""Which cached public pages and fragments are still true: dependency keys with generations.

Every cached page records the *keys* of what it shows, and the tick of one shared clock at which its render
began. The keys name objects (`article:12`, `section:3`, `author:7`, `tag:9`, `image:40`, `page:2`) and lists
(`front`, `feeds`, `sitemaps`, `search`, `section-list:3`, `tag-list:9`, `author-list:7`); `chrome` is the
header and footer every page has; a page that declares nothing depends on `all`, which every change moves.
Each app says what its pages depend on (`depends_on`) and what each change affects (`watch`, `changed`).

A change raises the *generation* of each key it affects to a new tick, at once and again after its commit.
An entry is good while none of its keys has a generation past its own tick: a publish re-renders the pages
that show the story, and nothing else. A render that overlapped a change is never kept as good, however the
two interleave, because its tick is older than the change's commit.

The clock moves on by one for every change and, at every commit, to the next whole second at least (and to
the time of the change, if later). A tick is `seconds * 1_000_000 + count`, so `Last-Modified` (the largest
generation of a page's keys, in seconds) moves on with every commit however close together, and never
matches a page older than a change.

Scheduled articles: the clock's companion record knows when the next one not yet released is due; the first
request after that moment (or the scheduler's look, with proxies) raises the keys of every story due and not
yet released, and records it as released unless an editor changed it meanwhile. A story whose save commits
after its own time is found too: it stays unreleased until a look after its commit.

Whatever else must hear of a committed change (a caching proxy that purges by these keys) listens with
`on_committed`.

Everything lives in the default cache. Redis (REDIS_URL) shares it between processes, and the lookups there
are single round trips (newsroom/redis_cache.py). The local-memory cache cannot share it, so there the
epoch, before which nothing counts, is renewed every `CONTENT_VERSION_LOCAL_SECONDS`: no process trusts
what it cached for longer than that.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .redis_cache import log_cache_failure

logger = logging.getLogger(__name__)

ALL = "all"
CHROME = "chrome"
CLOCK_KEY = "freshness:clock"
EPOCH_KEY = "freshness:epoch"
SCHEDULE_KEY = "freshness:schedule"
TICKS_PER_SECOND = 1_000_000


def generation_key(key: str) -> str:
    return f"gen:{key}"


def tick_seconds(tick: int) -> int:
    return tick // TICKS_PER_SECOND


def _whole_second_up(at: datetime) -> int:
    seconds = int(at.timestamp())
    return seconds + 1 if at.microsecond else seconds


def _shared_timeout():
    """How long the clock's companions (epoch, schedule) are kept: for good when shared, briefly when not."""
    return None if settings.CONTENT_VERSION_SHARED else settings.CONTENT_VERSION_LOCAL_SECONDS


# Raising generations.

_local_lock = threading.Lock()


def _raise(keys: Iterable[str], *, committed: bool, at: datetime | None = None) -> int:
    """A new tick of the clock, and every key's generation raised to it (never lowered); returns the tick."""
    at_ticks = _whole_second_up(at or timezone.now()) * TICKS_PER_SECOND
    generation_keys = [generation_key(key) for key in sorted(set(keys))]
    raise_generations = getattr(cache, "raise_generations", None)
    if raise_generations is not None:
        return raise_generations(CLOCK_KEY, generation_keys, committed=committed, at_ticks=at_ticks)
    with _local_lock:  # the local-memory cache lives in this process: a process lock makes this atomic
        found = cache.get_many([CLOCK_KEY, *generation_keys])
        clock = found.get(CLOCK_KEY) or 0
        if committed:
            tick = max((tick_seconds(clock) + 1) * TICKS_PER_SECOND, at_ticks)
        else:
            tick = clock + 1
        raised = {key: tick for key in generation_keys if (found.get(key) or 0) < tick}
        cache.set_many({CLOCK_KEY: tick, **raised}, None)
        return tick


_listeners: list[Callable[[frozenset[str]], None]] = []


def on_committed(listener: Callable[[frozenset[str]], None]) -> None:
    """Call `listener(keys)` with the keys of every committed change, once their generations are raised (a
    scheduled story's too, when it goes out). A listener that fails is logged: it never fails the change."""
    if listener not in _listeners:
        _listeners.append(listener)


def _committed(keys) -> None:
    for listener in list(_listeners):
        try:
            listener(frozenset(keys))
        except Exception:
            logger.exception("A listener to committed changes failed: %r", listener)


def _raise_safely(keys, *, committed: bool, at: datetime | None = None) -> int | None:
    try:
        return _raise(keys, committed=committed, at=at)
    except Exception as exc:  # never fail an editor's save over the cache
        log_cache_failure(exc, "raise the generations of changed content")
        return None


def changed(*keys: str) -> None:
    """What readers see under these keys (and `all`) has changed: raise their generations now, and again
    when the transaction commits (at once outside one). The first keeps readers' requests from keeping what
    they read under the old generations; the second, what they read before the commit. The changes of one
    transaction are raised together at its commit, by one tick."""
    affected = {ALL, *keys}
    _started()
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _raise_safely(affected, committed=True)
        _committed(affected)
        return
    _raise_safely(affected, committed=False)
    outermost = connection.atomic_blocks[0]
    pending = getattr(outermost, "freshness_pending", None)
    if pending is None:
        pending = outermost.freshness_pending = set()
    pending.update(affected)

    def on_commit():
        if pending:
            keys = set(pending)
            pending.clear()
            _raise_safely(keys, committed=True)
            _committed(keys)

    # One callback per call: a savepoint rolled back drops its own, never another's; the first to run takes all.
    transaction.on_commit(on_commit, robust=True)


def watch(model, keys: Callable[[object], Iterable[str]] = lambda instance: ()) -> None:
    """Readers see this model: a save or delete of one raises `keys(instance)` (and `all`)."""

    def on_change(sender, instance, raw=False, **kwargs):
        if not raw:  # not for fixtures being loaded
            changed(*keys(instance))

    uid = f"freshness-{model._meta.label}"
    post_save.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}-save")
    post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=f"{uid}-delete")


# Scheduled changes: when the next is due, and which keys it raises. The articles app registers them.


@dataclass(frozen=True)
class Schedule:
    next_at: datetime | None  # when the next change not yet released is due (past, if one is waiting), if any


@dataclass(frozen=True)
class Due:
    """The scheduled changes due now and not yet released."""

    keys: set[str]  # what they affect
    at: datetime | None  # when the last of them was due
    released: Callable[[], None]  # record them as released, where they still stand as they were read


_next_due: Callable[[], datetime | None] = lambda: None  # noqa: E731
_due: Callable[[datetime], Due] = lambda now: Due(set(), None, lambda: None)  # noqa: E731


def schedule_with(*, next_due, due) -> None:
    """`next_due()`: when the next change not yet released is due; `due(now)`: the changes due by now and not
    yet released, whenever they were committed (never a window of time: a save can commit after its time)."""
    global _next_due, _due
    _next_due, _due = next_due, due


def _store_schedule() -> Schedule:
    """Read when the next change is due, store it, and read it again until the two agree: a time an editor set
    and committed while this was being read (and stored by their own save) is never overwritten by the older
    reading."""
    schedule = Schedule(_next_due())
    for _ in range(5):
        try:
            cache.set(SCHEDULE_KEY, schedule, _shared_timeout())
        except Exception as exc:
            log_cache_failure(exc, "store when the next scheduled article is due")
            break
        again = Schedule(_next_due())
        if again == schedule:
            break
        schedule = again
    return schedule


def rescheduled() -> None:
    """Something was scheduled or unscheduled: read when the next change is due again, now and after the
    commit (a time read from a transaction that is then rolled back is harmless: nothing is released early)."""
    _store_schedule()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_store_schedule, robust=True)


def _release_due() -> tuple[Schedule, int | None]:
    """The scheduled changes due by now and not yet released raise their keys, with the time they were due as
    their time, and are recorded as released; then when the next is due is read again."""
    now = timezone.now()
    due = _due(now)
    tick = None
    if due.keys:
        tick = _raise_safely(due.keys | {ALL}, committed=True, at=due.at)
        _committed(due.keys | {ALL})
        if tick is not None:  # else the next look releases them again
            try:
                with transaction.atomic():
                    due.released()
            except DatabaseError:
                logger.warning("Could not record released stories; the next look releases them again", exc_info=True)
    return _store_schedule(), tick


# What one request reads and writes.

FRAGMENTS: set[str] = set()


def fragment(name: str) -> str:
    """Declare a cached part of every page (such as the header's sections), so that each request reads it in
    its first round trip to the cache; it depends on `chrome`. Returns its cache key."""
    FRAGMENTS.add(name)
    return f"fragment:{name}"


@dataclass(frozen=True)
class Entry:
    """A cached page or fragment: the tick its render began at, the keys it depends on, and its value."""

    tick: int
    keys: tuple[str, ...]
    value: object


@dataclass
class Snapshot:
    """What one request knows of the cache: the clock at its start (its tick), the epoch, the schedule, the
    header's and footer's fragments and, for an anonymous reader, the page with the newest generation of its
    keys, all read in one round trip; fragments of the page (`load`) in one more. What the request makes is
    written back in one round trip at its end."""

    tick: int
    epoch: int
    schedule: Schedule
    found: dict = field(default_factory=dict)
    newest: dict = field(default_factory=dict)  # entry key -> the newest generation among its keys
    made: dict = field(default_factory=dict)
    made_entries: dict = field(default_factory=dict)
    chrome_read: bool = False

    def is_good(self, entry, newest: int) -> bool:
        return isinstance(entry, Entry) and entry.tick >= self.epoch and newest <= entry.tick

    def entry(self, key: str) -> Entry | None:
        """A page or fragment read by this snapshot, if it is still good."""
        entry = self.found.get(key)
        return entry if self.is_good(entry, self.newest.get(key, 0)) else None

    def get(self, key: str):
        """A header or footer fragment, if it is still good (read with the others when first wanted)."""
        if not self.chrome_read:
            self.load([])
        entry = self.found.get(key)
        chrome = self.found.get(generation_key(CHROME)) or 0
        return entry.value if self.is_good(entry, chrome) else None

    def keep(self, key: str, value, keys=(CHROME,)) -> None:
        self.made[key] = Entry(self.tick, tuple(keys), value)

    def load(self, keys) -> None:
        """Read these fragments (with the newest generation of what each shows), and the header's and footer's
        if not read yet, in one round trip. A page from the cache needs neither: its request never reads them."""
        chrome = [] if self.chrome_read else [f"fragment:{name}" for name in sorted(FRAGMENTS)]
        wanted = [key for key in keys if key not in self.found]
        if not wanted and not chrome:
            return
        self.chrome_read = True
        try:
            found, newest = _read(chrome, wanted)
        except Exception as exc:
            log_cache_failure(exc, "read fragments")
            return
        self.found.update(found)
        self.newest.update(newest)

    def keep_entry(self, key: str, value, keys) -> None:
        """Keep a fragment that shows what these keys name, made under this snapshot's tick."""
        self.made_entries[key] = Entry(self.tick, tuple(sorted(keys)), value)

    def last_modified(self, newest: int) -> int:
        """In seconds: when the content under keys whose newest generation is `newest` last changed."""
        return tick_seconds(max(self.epoch, newest))

    def seconds_valid(self, now: datetime) -> int | None:
        """How long browsers may keep a page: until the next scheduled article at most."""
        if self.schedule.next_at is None:
            return None
        return max(1, int((self.schedule.next_at - now).total_seconds()) + 1)

    def timeout(self) -> int:
        return settings.CONTENT_CACHE_SECONDS

    def write(self, entries: dict | None = None) -> dict[str, int]:
        """Store what was made (and these entries); the newest generation of each entry's keys."""
        newest = {}
        made_entries = {**self.made_entries, **(entries or {})}
        try:
            if made_entries:
                newest = _store_entries(made_entries, self.timeout())
            if self.made:
                cache.set_many(self.made, self.timeout())
        except Exception as exc:
            log_cache_failure(exc, "store pages and fragments")
        self.made, self.made_entries = {}, {}
        return newest


def index_key(key: str) -> str:
    """Where the generation keys of a cached page's or fragment's dependencies are listed, for one-trip lookups."""
    return f"deps:{key}"


def newest_of(entries: dict) -> dict[str, int]:
    """The newest generation of each entry's keys, in one round trip (Redis compares them itself)."""
    newest_generations = getattr(cache, "newest_generations", None)
    if newest_generations is not None:
        listed = {key: entry.keys for key, entry in entries.items() if isinstance(entry, Entry)}
        if not listed:
            return {}
        return newest_generations({key: [generation_key(k) for k in keys] for key, keys in listed.items()})
    wanted = {generation_key(k) for entry in entries.values() if isinstance(entry, Entry) for k in entry.keys}
    generations = cache.get_many(sorted(wanted)) if wanted else {}
    return {
        key: max((generations.get(generation_key(k)) or 0 for k in entry.keys), default=0)
        for key, entry in entries.items()
        if isinstance(entry, Entry)
    }


def _read(keys: list[str], entry_keys: list[str]) -> tuple[dict, dict[str, int]]:
    """These keys and these entries, with the newest generation of each entry's keys."""
    if not entry_keys:
        return cache.get_many(keys), {}
    get_entries = getattr(cache, "get_entries", None)
    if get_entries is not None:
        return get_entries(keys, {key: index_key(key) for key in entry_keys})
    found = cache.get_many([*keys, *entry_keys])
    return found, newest_of({key: found.get(key) for key in entry_keys})


def _store_entries(entries: dict[str, Entry], timeout: int) -> dict[str, int]:
    store = getattr(cache, "store_entries", None)
    if store is not None:
        return store(
            {key: (entry, index_key(key), [generation_key(k) for k in entry.keys]) for key, entry in entries.items()},
            timeout,
        )
    cache.set_many(entries, timeout)
    return newest_of(entries)


def snapshot(page_key: str | None = None) -> Snapshot:
    """The clock, epoch and schedule and the page, in one round trip to the cache; the schedule's due changes
    released and a lost epoch renewed on the way. The header's and footer's fragments are read when wanted."""
    wanted = [
        CLOCK_KEY,
        EPOCH_KEY,
        SCHEDULE_KEY,
        generation_key(CHROME),
    ]
    pages = [page_key] if page_key else []
    try:
        found, newest = _read(wanted, pages)
    except Exception as exc:
        log_cache_failure(exc, "read the clock, fragments and page")
        found, newest = {}, {}
    tick = found.get(CLOCK_KEY) or 0
    epoch, schedule = found.get(EPOCH_KEY), found.get(SCHEDULE_KEY)
    if not isinstance(epoch, int) or not isinstance(schedule, Schedule):
        epoch, schedule = _start()
        tick = epoch
    if schedule.next_at is not None and schedule.next_at <= timezone.now():
        schedule, raised = _release_due()
        if raised:
            tick = raised
            try:  # the page's keys may be among those just raised: read it again
                again, newest = _read([], pages)
                found.update(again)
            except Exception as exc:
                log_cache_failure(exc, "read a page again")
                found.pop(page_key, None)
    return Snapshot(tick=tick, epoch=epoch, schedule=schedule, found=found, newest=newest)


def _start() -> tuple[int, Schedule]:
    """First use, or the cache was emptied (or, unshared, the epoch ran out): nothing cached before counts,
    and when the next scheduled article is due is read afresh."""
    tick = _raise_safely((), committed=True) or 0
    try:
        cache.set(EPOCH_KEY, tick, _shared_timeout())
    except Exception as exc:
        log_cache_failure(exc, "store the epoch")
    return tick, _store_schedule()


def _started() -> None:
    """Started before a change is raised, so the first page read after it need not read the schedule."""
    try:
        found = cache.get_many([EPOCH_KEY, SCHEDULE_KEY])
    except Exception as exc:
        log_cache_failure(exc, "read the epoch")
        return
    if not isinstance(found.get(EPOCH_KEY), int) or not isinstance(found.get(SCHEDULE_KEY), Schedule):
        _start()


def cached(name: str, build, *, request=None):
    """`build()`'s value, kept until `chrome` changes. Within a request's snapshot it costs no round trip of
    its own, and the request's page depends on `chrome`; elsewhere (a command, a test) it reads and writes
    the cache itself."""
    key = fragment(name)
    within = getattr(request, "content_snapshot", None)
    uses_chrome(request)
    if not settings.PARTS_CACHE:  # made afresh every time (settings.PARTS_CACHE)
        return build()
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


def generation(key: str) -> int:
    """The generation of one key now (0 if it has not changed since the epoch)."""
    try:
        return cache.get(generation_key(key)) or 0
    except Exception as exc:
        log_cache_failure(exc, "read a generation")
        return 0


def last_changed(key: str = ALL) -> datetime:
    """When what this key names last changed (by default: anything readers see), as Last-Modified gives it."""
    return datetime.fromtimestamp(snapshot().last_modified(generation(key)), tz=UTC)


# What a request's page depends on.


def depends_on(request, *keys: str) -> None:
    """The page being made for this request shows what these keys name."""
    recorded = getattr(request, "cache_keys", None)
    if recorded is None:
        recorded = request.cache_keys = set()
    recorded.update(keys)


def showing(*keys: str):
    """A view whose pages show what these keys name (for views that are not ours, such as the sitemaps)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            depends_on(request, *keys)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def uses_chrome(request) -> None:
    """The page being made shows the header and footer (their cached fragments say so when they are used)."""
    if request is not None:
        request.cache_chrome = True


def page_keys(request) -> tuple[str, ...]:
    """What the page made for this request depends on: `all` unless its view said, and `chrome` if shown."""
    keys = set(getattr(request, "cache_keys", None) or {ALL})
    if getattr(request, "cache_chrome", False):
        keys.add(CHROME)
    return tuple(sorted(keys))
