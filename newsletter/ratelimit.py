"""Per-client limits kept in the cache (local memory on a laptop, Redis in production)."""

import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """The reader's address: REMOTE_ADDR, or the entry NUM_PROXIES from the right in X-Forwarded-For."""
    if settings.NUM_PROXIES:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= settings.NUM_PROXIES:
            return forwarded[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR") or None


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once the limit for this window is passed. With the cache out of reach
    the attempt is let through (and logged): sign-ups still need the address's owner to confirm."""
    cache_key = f"ratelimit:{key}"
    try:
        cache.add(cache_key, 0, timeout=window_seconds)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window_seconds)
            count = 1
    except Exception:
        logger.exception("Rate limit %s not counted: the cache is out of reach", key)
        return True
    return count <= limit
