"""Sessions read from the shared cache and written through to the database (the session engine with REDIS_URL).

Any server process can answer any request (no sticky sessions), and a Redis restart logs no one out. Django's
cached_db backend fails a request when the cache does not answer (a read it retries from the database is then
written back unguarded, and so are the checks and deletes); here a cache that fails is one that missed, as
everywhere else on the site (newsroom/redis_cache.py), and the database answers.
"""

import logging

from django.contrib.sessions.backends import cached_db

from newsroom.redis_cache import log_cache_failure

logger = logging.getLogger(__name__)


class ForgivingCache:
    """The few operations the session store asks of its cache, each failing as a miss."""

    def __init__(self, cache):
        self.cache = cache

    def get(self, key, default=None):
        try:
            return self.cache.get(key, default)
        except Exception as exc:
            log_cache_failure(exc, "read a session from the cache")
            return default

    def set(self, key, value, timeout):
        try:
            self.cache.set(key, value, timeout)
        except Exception as exc:
            log_cache_failure(exc, "keep a session in the cache")

    def __contains__(self, key) -> bool:
        try:
            return key in self.cache
        except Exception as exc:
            log_cache_failure(exc, "look a session up in the cache")
            return False

    def delete(self, key) -> None:
        try:
            self.cache.delete(key)
        except Exception as exc:
            # Gone from the database, but a copy in a Redis that comes back with its data would be read again.
            logger.warning("A session ended while the cache did not answer (%s): a copy may remain there", exc)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = ForgivingCache(self._cache)
