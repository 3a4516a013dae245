"""What anonymous readers fetch is the same for all of them, so it is cached twice over:

- whole responses in our own cache (local memory, or Redis with REDIS_URL), under the content version
  (newsroom/freshness.py), so a publish, edit or unpublish shows at once, and kept no longer than until
  the next scheduled article is due;
- by browsers, proxies and CDNs, with `Cache-Control` (max-age and stale-while-revalidate),
  `Last-Modified` from the content version and an ETag (ConditionalGetMiddleware, which answers the 304s).

Each request reads the content version, the site's header and footer and (for a reader) the page in one
round trip to the cache, and writes what it made in one more.

Logged-in staff (a session cookie) bypass both; so does anything that sets a cookie, varies by cookie or
has said how it may be cached (the admin, previews, email links).
"""

import hashlib

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import has_vary_header, patch_cache_control, set_response_etag
from django.utils.http import http_date

from newsroom import freshness


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


def add_public_headers(response, version: freshness.ContentVersion) -> None:
    """Browsers and proxies may keep the page HTTP_CACHE_SECONDS, and serve it as long again while they
    fetch a new copy; both end by the time the next scheduled story is due. Last-Modified is the content
    version's, also on feeds and sitemaps (whose own would not move when an item is removed or corrected)."""
    max_age = stale = settings.HTTP_CACHE_SECONDS
    if (until_next := version.seconds_valid(timezone.now())) is not None:
        max_age = min(max_age, until_next)
        stale = max(0, min(stale, until_next - max_age))
    patch_cache_control(response, public=True, max_age=max_age, stale_while_revalidate=stale)
    response["Last-Modified"] = http_date(version.changed_at.timestamp())


class PublicCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reader = is_reader_request(request)
        key = page_key(request) if reader and settings.PAGE_CACHE else None
        snapshot = request.content_snapshot = freshness.snapshot(*([key] if key else []))
        if key and (cached := snapshot.get(key)) is not None:
            content, headers = cached
            response = HttpResponse(content, headers=headers)
            add_public_headers(response, snapshot.version)  # max-age shrinks as the next scheduled story nears
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if reader and is_public(response):
            add_public_headers(response, snapshot.version)
            if key and request.method == "GET":
                set_response_etag(response)  # hashed once here, not on every hit
                # The bytes and headers only: cheaper to store and to rebuild than a pickled response.
                snapshot.keep(key, (response.content, dict(response.headers)))
                response["X-Page-Cache"] = "miss"
        snapshot.write()
        return response
