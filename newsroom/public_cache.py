"""What anonymous readers fetch is the same for all of them, so it is cached twice over:

- whole responses in our own cache (local memory, or Redis with REDIS_URL), each with the keys of what it
  shows (newsroom/freshness.py), so a publish, edit or unpublish shows at once on the pages that show it,
  and every other page stays cached;
- by browsers, proxies and CDNs, with `Cache-Control` (max-age and stale-while-revalidate, both ending by
  the next scheduled article), `Last-Modified` from the generations of what the page shows, an ETag
  (ConditionalGetMiddleware, which answers the 304s), and the keys in an `xkey` header for a purging proxy.

Each request reads the clock, the site's header and footer and (for a reader) the page with the newest
generation of its keys in one round trip to the cache, and writes what it made in one more. When a popular
page has just changed, one request makes it again while the others are given the copy before the change,
for `PAGE_CACHE_STAMPEDE_SECONDS` at most, so a publish does not set every worker rendering the same page.

Logged-in staff (a session cookie) bypass both; so does anything that sets a cookie, varies by cookie or
has said how it may be cached (the admin, previews, email links).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import has_vary_header, patch_cache_control, set_response_etag
from django.utils.http import http_date

from newsroom import freshness
from newsroom.redis_cache import log_cache_failure


def is_reader_request(request) -> bool:
    return request.method in {"GET", "HEAD"} and settings.SESSION_COOKIE_NAME not in request.COOKIES


def is_public(response) -> bool:
    """A successful response that sets no cookie, varies by no cookie and has no cache policy of its own."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and not has_vary_header(response, "Cookie")
    )


def page_key(request) -> str:
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"page:{hashlib.sha256(address.encode()).hexdigest()}"


def add_public_headers(response, snapshot: freshness.Snapshot, newest: int | None) -> None:
    """Browsers and proxies may keep the page HTTP_CACHE_SECONDS, and serve it as long again while they
    fetch a new copy; both end by the time the next scheduled story is due. Last-Modified is when what the
    page shows last changed (left out when it changed while the page was being made), also on feeds and
    sitemaps, whose own would not move when an item is removed or corrected."""
    max_age = stale = settings.HTTP_CACHE_SECONDS
    if (until_next := snapshot.seconds_valid(timezone.now())) is not None:
        max_age = min(max_age, until_next)
        stale = max(0, min(stale, until_next - max_age))
    patch_cache_control(response, public=True, max_age=max_age, stale_while_revalidate=stale)
    if newest is not None and newest <= snapshot.tick:
        response["Last-Modified"] = http_date(snapshot.last_modified(newest))


def _newest(keys) -> int:
    try:
        generations = cache.get_many([freshness.generation_key(key) for key in keys])
    except Exception as exc:
        log_cache_failure(exc, "read the generations of a page's content")
        return 0
    return max((g for g in generations.values() if isinstance(g, int)), default=0)


def _store(key: str, entry: freshness.Entry) -> int | None:
    """Keep the page with the list of what it depends on; the newest generation of those, or None."""
    timeout = settings.CONTENT_CACHE_SECONDS
    generation_keys = [freshness.generation_key(k) for k in entry.keys]
    try:
        store = getattr(cache, "store_with_index", None)
        if store is not None:
            return store(key, entry, timeout, freshness.index_key(key), generation_keys)
        cache.set(key, entry, timeout)
    except Exception as exc:
        log_cache_failure(exc, "store a page")
        return None
    return _newest(entry.keys)


def _claim(key: str) -> bool:
    """Whether this request is the one to make a changed page again (the others serve the previous copy)."""
    try:
        return cache.add(f"making:{key}", 1, settings.PAGE_CACHE_STAMPEDE_SECONDS)
    except Exception as exc:
        log_cache_failure(exc, "claim a page to make")
        return True


def _release(key: str) -> None:
    try:
        cache.delete(f"making:{key}")
    except Exception as exc:
        log_cache_failure(exc, "release a page made")


def _from_cache(entry: freshness.Entry) -> HttpResponse:
    content, headers = entry.value
    return HttpResponse(content, headers=headers)


class PublicCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reader = is_reader_request(request)
        key = page_key(request) if reader and settings.PAGE_CACHE else None
        snapshot = request.content_snapshot = freshness.snapshot(key)
        entry = snapshot.found.get(key) if key else None
        claimed = False
        if isinstance(entry, freshness.Entry):
            if snapshot.is_good(entry, snapshot.newest):
                response = _from_cache(entry)
                add_public_headers(response, snapshot, snapshot.newest)  # max-age shrinks as a scheduled story nears
                response["X-Page-Cache"] = "hit"
                return response
            claimed = _claim(key)
            if not claimed:
                # Someone is making it again this moment: the copy from before the change, not to be kept.
                response = _from_cache(entry)
                patch_cache_control(response, no_cache=True)
                response["X-Page-Cache"] = "stale"
                return response
        try:
            response = self.get_response(request)
            if reader and is_public(response):
                keys = freshness.page_keys(request)
                response["xkey"] = " ".join(keys)
                if key and request.method == "GET":
                    set_response_etag(response)  # hashed once here, not on every hit
                    # The bytes and headers only: cheaper to store and to rebuild than a pickled response.
                    entry = freshness.Entry(snapshot.tick, keys, (response.content, dict(response.headers)))
                    newest = _store(key, entry)
                    response["X-Page-Cache"] = "miss"
                else:
                    newest = _newest(keys)
                add_public_headers(response, snapshot, newest)
            snapshot.write()
        finally:
            if claimed:
                _release(key)
        return response
