"""Per-client limits kept in the cache (local memory on a laptop, Redis in production)."""

import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from newsroom.redis_cache import log_cache_failure

logger = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """The reader's address: REMOTE_ADDR, or the entry NUM_PROXIES from the right in X-Forwarded-For."""
    if settings.NUM_PROXIES:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= settings.NUM_PROXIES:
            return forwarded[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR") or None


def client_network(request) -> str | None:
    """Whom a limit on guessing counts against: the client's IPv4 address, or the /64 its IPv6 address is in (one
    machine is given a whole /64, and could take a new address in it for every guess)."""
    ip = client_ip(request)
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return ip
    if address.version == 4:
        return ip
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network((address, 64), strict=False).network_address)


# Counts kept in this process while the shared cache is out of reach: each process then limits on its own.
_fallback = LocMemCache("ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
_said_at = 0.0


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once the limit for this window is passed. With the shared cache out of reach
    the count goes on in this process alone (so with N processes up to N times the limit gets through), and
    the log says so, at most once a minute."""
    try:
        return _count(cache, key, window_seconds) <= limit
    except Exception as exc:
        log_cache_failure(exc, f"count rate limit {key}")
        _say_per_process()
        return _count(_fallback, key, window_seconds) <= limit


def peek(key: str) -> int:
    """How many attempts the window holds so far, without counting one (0 if the cache is out of reach)."""
    try:
        return cache.get(f"ratelimit:{key}", 0)
    except Exception as exc:
        log_cache_failure(exc, f"read rate limit {key}")
        return _fallback.get(f"ratelimit:{key}", 0)


def _count(store, key: str, window_seconds: int) -> int:
    cache_key = f"ratelimit:{key}"
    store.add(cache_key, 0, timeout=window_seconds)
    try:
        return store.incr(cache_key)
    except ValueError:  # expired between add and incr
        store.set(cache_key, 1, timeout=window_seconds)
        return 1


def _say_per_process() -> None:
    global _said_at
    if time.monotonic() - _said_at > 60:
        _said_at = time.monotonic()
        logger.warning("Rate limits are counted per process while the cache is out of reach.")
