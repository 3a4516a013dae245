"""Caching proxies (Varnish, deploy/varnish/) keep public pages until told otherwise: tell them.

Every committed change (newsroom/freshness.py) is purged from each proxy in CACHE_PROXIES by its keys, which
the proxy matched against the `xkey` header of every page it keeps: `PURGE /` with `xkey-purge: <keys>`. A
worker sends it (newsroom/tasks.py), trying until the proxy answers, and sends it again a few seconds later
(PROXY_PURGE_AGAIN_SECONDS) for a page whose render began before the change and reached the proxy after the
first purge. With the broker down, the web process purges once itself rather than not at all.
"""

import http.client
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings

from .queueing import enqueue

logger = logging.getLogger(__name__)

HEADER = "xkey-purge"
TIMEOUT_SECONDS = 5
# Varnish refuses request headers longer than 8 KB (http_req_hdr_len): a long list goes in several purges.
MAX_HEADER_CHARS = 4000
# A proxy that cannot be reached, or says it cannot answer now: worth trying again.
UNREACHABLE = (OSError, http.client.HTTPException)


class ProxyUnavailable(http.client.HTTPException):
    """The proxy answered with a server error (5xx)."""


def batches(keys: Iterable[str], limit: int = MAX_HEADER_CHARS) -> list[str]:
    """The keys, sorted, as space-separated header values of at most `limit` characters each."""
    values, current = [], ""
    for key in sorted(set(keys)):
        if current and len(current) + 1 + len(key) > limit:
            values.append(current)
            current = ""
        current = f"{current} {key}" if current else key
    return [*values, current] if current else values


def purge(proxy: str, keys: Iterable[str]) -> int | None:
    """Purge the pages showing any of these keys from one proxy: the number it dropped, or None if it refused
    (a 4xx: this host is not in its ACL, say, which no retry mends). Raises UNREACHABLE errors to be retried."""
    parts = urlsplit(proxy)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    purged = 0
    for value in batches(keys):
        connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request("PURGE", parts.path or "/", headers={HEADER: value})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        if response.status >= 500:
            raise ProxyUnavailable(f"{proxy} answered {response.status} {response.reason} to a purge")
        if response.status != 200:
            logger.error("%s refused to purge (%s): pages there may be stale", proxy, response.status)
            return None
        try:
            purged += int(response.headers.get("purged", 0))
        except ValueError:
            pass
    return purged


def purge_proxies(keys: Iterable[str]) -> None:
    """Have every proxy purge these keys, by a worker (twice, a few seconds apart); nothing without proxies."""
    if not settings.CACHE_PROXIES:
        return
    keys = sorted(set(keys))
    for proxy in settings.CACHE_PROXIES:
        if not enqueue("newsroom.tasks.purge_proxy", proxy, keys):
            logger.warning("Could not queue the purge of %s: purging once from here", proxy)
            _purge_now(proxy, keys)


def _purge_now(proxy: str, keys: list[str]) -> None:
    try:
        purge(proxy, keys)
    except UNREACHABLE as exc:
        logger.error("Could not purge %s either (%s): pages there may be stale", proxy, exc)
