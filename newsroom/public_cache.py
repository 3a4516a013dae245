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

Pages go out compressed to readers whose browsers accept it (Brotli, else gzip), compressed once when made and
kept compressed in the cache; each encoding has an ETag of its own. Nothing secret is ever in such a page (no
CSRF token, no session, nothing personal), so compression reveals nothing (BREACH); the admin and everything
else personal is not compressed here.

Logged-in staff (a session cookie) bypass both; so does anything that sets a cookie, varies by cookie or
has said how it may be cached (the admin, previews, email links).
"""

import gzip
import hashlib
import re

import brotli
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import has_vary_header, patch_cache_control, patch_vary_headers, set_response_etag
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


def _newest(entries) -> dict[str, int]:
    try:
        return freshness.newest_of(entries)
    except Exception as exc:
        log_cache_failure(exc, "read the generations of a page's content")
        return {}


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


ENCODINGS = ("br", "gzip")  # in order of preference
_ACCEPTED = re.compile(r"\s*([a-z0-9*-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?", re.I)


def accepted_encoding(request) -> str | None:
    """The best compression the client takes (Accept-Encoding, with q=0 meaning "not this")."""
    accepted = set()
    for part in request.headers.get("Accept-Encoding", "").split(","):
        if match := _ACCEPTED.match(part):
            try:
                weight = float(match.group(2)) if match.group(2) else 1.0
            except ValueError:
                continue
            if weight > 0:
                accepted.add(match.group(1).lower())
    return next((encoding for encoding in ENCODINGS if encoding in accepted), None)


def compressed(content: bytes) -> dict[str, bytes]:
    """The page in each encoding, made once: Brotli at a quality cheap enough for every page made, and gzip."""
    return {"br": brotli.compress(content, quality=5), "gzip": gzip.compress(content, compresslevel=6, mtime=0)}


def respond(request, response, encodings: dict[str, bytes]) -> None:
    """Send the encoding the client takes, with its own ETag and length."""
    patch_vary_headers(response, ["Accept-Encoding"])
    encoding = accepted_encoding(request)
    if encoding is None or encoding not in encodings:
        return
    response.content = encodings[encoding]
    response["Content-Encoding"] = encoding
    response["Content-Length"] = str(len(response.content))
    if etag := response.get("ETag"):
        response["ETag"] = f'{etag[:-1]}-{encoding}"' if etag.endswith('"') else etag


def _from_cache(request, entry: freshness.Entry) -> HttpResponse:
    content, headers, encodings = entry.value
    response = HttpResponse(content, headers=headers)
    respond(request, response, encodings)
    return response


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
            if snapshot.entry(key) is not None:
                response = _from_cache(request, entry)
                # max-age shrinks as a scheduled story nears
                add_public_headers(response, snapshot, snapshot.newest.get(key, 0))
                response["X-Page-Cache"] = "hit"
                return response
            claimed = _claim(key)
            if not claimed:
                # Someone is making it again this moment: the copy from before the change, not to be kept.
                response = _from_cache(request, entry)
                patch_cache_control(response, no_cache=True)
                response["X-Page-Cache"] = "stale"
                return response
        try:
            response = self.get_response(request)
            page = {}
            if reader and is_public(response):
                keys = freshness.page_keys(request)
                response["xkey"] = " ".join(keys)
                if key and request.method == "GET":
                    set_response_etag(response)  # hashed once here, not on every hit
                    patch_vary_headers(response, ["Accept-Encoding"])
                    encodings = compressed(response.content)
                    # The bytes and headers only: cheaper to store and to rebuild than a pickled response.
                    value = (response.content, dict(response.headers), encodings)
                    page[key] = freshness.Entry(snapshot.tick, keys, value)
                    respond(request, response, encodings)
                    response["X-Page-Cache"] = "miss"
                else:
                    page["-"] = freshness.Entry(snapshot.tick, keys, None)  # not kept: only its keys' newest
            stored = snapshot.write({k: v for k, v in page.items() if k != "-"})
            if page:
                if "-" in page:
                    stored = _newest(page)
                add_public_headers(response, snapshot, stored.get(next(iter(page))))
        finally:
            if claimed:
                _release(key)
        return response
