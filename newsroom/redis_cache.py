"""Django's Redis cache, made safe to lose: short timeouts, no retries, and a circuit breaker per process.

A Redis that is down, or worse hung (accepting connections and never answering), must cost a page at most one
short timeout, and then nothing for a while: after a failure every operation fails at once, without touching
the network, for `CACHE_BREAKER_SECONDS`; then one request tries again (the others still fail at once), and
its success closes the breaker (newsroom/breaker.py). Callers already treat a failing cache as an empty one.

Three small Lua scripts make the page cache's lookups single round trips (newsroom/freshness.py): raising the
generations of changed content, reading a page with the newest generation of what it depends on, and storing
a page with the list of what it depends on.

Django's client also builds a new `redis.Redis` for every operation, filling a table of some two hundred reply
handlers each time; a client is thread-safe and holds no connection of its own, so one per pool is kept.
"""

import logging
from functools import wraps

import redis
from django.conf import settings
from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.base import default_key_func
from redis.backoff import NoBackoff
from redis.retry import Retry

from .breaker import Breaker, Breakers

logger = logging.getLogger(__name__)


class CacheUnavailable(redis.exceptions.ConnectionError):
    """The breaker is open: the cache failed a moment ago and is not being asked again yet."""


FAILURES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def log_cache_failure(exc: Exception, what: str) -> None:
    """A cache that does not answer was reported once, when its breaker opened; anything else is a fault."""
    if isinstance(exc, FAILURES):
        logger.debug("Cannot %s: %s", what, exc)
    else:
        logger.exception("Cannot %s", what)


_breakers = Breakers()


def breaker_for(location: str) -> Breaker:
    """One breaker per server per process, shared by every thread's cache object."""
    return _breakers.get_or_make(
        location,
        lambda: Breaker(
            location,
            settings.CACHE_BREAKER_SECONDS,
            what="cache",
            failures=FAILURES,
            unavailable=CacheUnavailable,
            logger=logger,
        ),
    )


def _guarded(method):
    @wraps(method)
    def guarded(self, *args, **kwargs):
        return self._breaker.call(method, self, *args, **kwargs)

    return guarded


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._breaker = breaker_for(",".join(servers))

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients_by_pool", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client

    add = _guarded(django_redis.RedisCacheClient.add)
    get = _guarded(django_redis.RedisCacheClient.get)
    set = _guarded(django_redis.RedisCacheClient.set)
    touch = _guarded(django_redis.RedisCacheClient.touch)
    delete = _guarded(django_redis.RedisCacheClient.delete)
    get_many = _guarded(django_redis.RedisCacheClient.get_many)
    has_key = _guarded(django_redis.RedisCacheClient.has_key)
    incr = _guarded(django_redis.RedisCacheClient.incr)
    set_many = _guarded(django_redis.RedisCacheClient.set_many)
    delete_many = _guarded(django_redis.RedisCacheClient.delete_many)
    clear = _guarded(django_redis.RedisCacheClient.clear)


# Generations are stored as plain integers (Django's serializer leaves ints unpickled), so scripts can compare them.
RAISE_GENERATIONS = """
local clock = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local tick
if ARGV[1] == '1' then
  tick = math.max((math.floor(clock / 1000000) + 1) * 1000000, tonumber(ARGV[2]))
else
  tick = clock + 1
end
local text = string.format('%d', tick)
redis.call('SET', KEYS[1], text)
for i = 2, #KEYS do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if current < tick then redis.call('SET', KEYS[i], text) end
end
return text
"""

# The newest generation among the keys a text lists (space-separated). No list at all (evicted, say) means
# nothing can be known of the entry: newer than any tick, so it is never taken as good.
NEWEST_LISTED = """
local function newest_listed(listed)
  if not listed then return 9007199254740991 end
  local newest = 0
  local keys = {}
  for key in string.gmatch(listed or '', '%S+') do keys[#keys + 1] = key end
  if #keys > 0 then
    for _, generation in ipairs(redis.call('MGET', unpack(keys))) do
      local n = tonumber(generation)
      if n and n > newest then newest = n end
    end
  end
  return newest
end
"""

# KEYS: ARGV[1] plain keys, then an entry's key and its index's key for each entry. Returns the plain values,
# then each entry's value and the newest generation its index lists.
GET_ENTRIES = (
    NEWEST_LISTED
    + """
local plain = tonumber(ARGV[1])
local out = {}
if plain > 0 then out = redis.call('MGET', unpack(KEYS, 1, plain)) end
for i = plain + 1, #KEYS, 2 do
  out[#out + 1] = redis.call('GET', KEYS[i])
  out[#out + 1] = string.format('%d', newest_listed(redis.call('GET', KEYS[i + 1])))
end
return out
"""
)

# KEYS: an entry's key and its index's key for each; ARGV: the timeout, then each entry's value and index text.
# Returns the newest generation each index lists.
STORE_ENTRIES = (
    NEWEST_LISTED
    + """
local ttl = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS, 2 do
  local value, listed = ARGV[i + 1], ARGV[i + 2]
  redis.call('SET', KEYS[i], value, 'EX', ttl)
  redis.call('SET', KEYS[i + 1], listed, 'EX', ttl)
  out[#out + 1] = string.format('%d', newest_listed(listed))
end
return out
"""
)


# ARGV: for each entry, the generation keys it depends on (space-separated). Returns the newest generation of each.
NEWEST_OF = (
    NEWEST_LISTED
    + """
local out = {}
for i = 1, #ARGV do out[#out + 1] = string.format('%d', newest_listed(ARGV[i])) end
return out
"""
)


class RedisCache(django_redis.RedisCache):
    """Django's Redis cache behind the breaker, with the page cache's three one-trip operations."""

    def __init__(self, server, params):
        timeout = settings.CACHE_TIMEOUT_MS / 1000
        options = {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),  # a retry would double the wait on a hung server
            **params.get("OPTIONS", {}),
        }
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = RedisCacheClient

    def _run(self, source: str, keys, args):
        scripts = self.__dict__.setdefault("_scripts", {})
        client = self._cache.get_client(write=True)
        if source not in scripts:
            scripts[source] = client.register_script(source)
        return self._cache._breaker.call(scripts[source], keys=keys, args=args, client=client)

    def raise_generations(self, clock_key: str, keys: list[str], *, committed: bool, at_ticks: int) -> int:
        """A new tick of the clock (by one, or to the next second at least when `committed`, and to `at_ticks`
        at least), and each key raised to it if lower; returns the tick."""
        made = [self.make_and_validate_key(key) for key in (clock_key, *keys)]
        return int(self._run(RAISE_GENERATIONS, made, ["1" if committed else "0", str(at_ticks)]))

    def own_keys(self, keys) -> list[str]:
        """`make_key` of many of the page cache's own keys (generation keys: no reader's text in them), with the
        prefix and version worked out once and without the memcached key warnings: a page lists a few hundred,
        and checking each character of each took longer than Redis did to answer."""
        if self.key_func is not default_key_func:
            return [self.make_key(key) for key in keys]
        prefix = self.make_key("")
        return [prefix + key for key in keys]

    def newest_generations(self, entries: dict[str, list[str]]) -> dict[str, int]:
        """The newest generation among each entry's generation keys (entry -> its keys), in one round trip:
        Redis compares them, instead of sending each back."""
        listed = [" ".join(self.own_keys(keys)) for keys in entries.values()]
        newest = self._run(NEWEST_OF, [], listed)
        return {key: int(n) for key, n in zip(entries, newest, strict=True)}

    def get_entries(self, keys: list[str], entries: dict[str, str]) -> tuple[dict, dict[str, int]]:
        """get_many(keys and the entries' keys), and for each entry the newest generation among the keys its
        index lists (`entries`: entry key -> index key)."""
        made = [self.make_and_validate_key(key) for key in keys]
        for key, index in entries.items():
            made += [self.make_and_validate_key(key), self.make_and_validate_key(index)]
        values = self._run(GET_ENTRIES, made, [len(keys)])
        loads = self._cache._serializer.loads
        found = {key: loads(value) for key, value in zip(keys, values, strict=False) if value is not None}
        newest = {}
        for n, key in enumerate(entries):
            value, generation = values[len(keys) + 2 * n], values[len(keys) + 2 * n + 1]
            if value is not None:
                found[key] = loads(value)
            newest[key] = int(generation)
        return found, newest

    def store_entries(self, entries: dict[str, tuple[object, str, list[str]]], timeout: int) -> dict[str, int]:
        """Store each entry (key -> value, index key, generation keys) beside the list of the generation keys it
        depends on; returns the newest generation of those, for each."""
        made, args = [], [str(max(1, int(timeout)))]
        dumps = self._cache._serializer.dumps
        for key, (value, index, generation_keys) in entries.items():
            made += [self.make_and_validate_key(key), self.make_and_validate_key(index)]
            args += [dumps(value), " ".join(self.own_keys(generation_keys))]
        newest = self._run(STORE_ENTRIES, made, args)
        return {key: int(n) for key, n in zip(entries, newest, strict=True)}
