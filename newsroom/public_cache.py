"""What anonymous readers fetch is the same for all of them, so it is cached twice over:

- whole responses in our own cache (local memory, or Redis with REDIS_URL), each with the keys of what it
  shows (newsroom/freshness.py), so a publish, edit or unpublish shows at once on the pages that show it,
  and every other page stays cached; its key holds only the query parameters its view reads (`reads_query`), so
  tracking and junk parameters share the page without them and fill no cache;
- by browsers, proxies and CDNs, with `Cache-Control` (max-age and stale-while-revalidate, both ending by
  the next scheduled article), `Last-Modified` from the generations of what the page shows, an ETag
  (ConditionalGetMiddleware, which answers the 304s), and the keys in an `xkey` header for a purging proxy;
  our own caching proxies (CACHE_PROXIES), purged by those keys (newsroom/purging.py), keep pages longer
  (s-maxage).

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
import logging
import re
from functools import wraps
from urllib.parse import urlencode

import brotli
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.wsgi import get_bytes_from_wsgi, get_path_info
from django.http import HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import has_vary_header, patch_vary_headers, set_response_etag
from django.utils.http import http_date, parse_etags, parse_http_date_safe

from newsroom import freshness
from newsroom.health import PROBES
from newsroom.redis_cache import log_cache_failure

logger = logging.getLogger(__name__)


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


# What a page may differ by, as the server hands the request over: scheme, host, port, address; and the query
# parameters its view reads (`kept_query`).
KEY_PARTS = (
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
)

# The values of a page number worth keeping a page for: how the lists link to their pages. Others (`01`, `+1`,
# `1.0`) show the same page under an address of their own, without end: served, never kept.
PAGE_NUMBER = r"[1-9][0-9]{0,5}"


def reads_query(**params: str | None):
    """A function view whose pages read these query parameters, each with the pattern of the values worth keeping a
    page for (None: any). A class-based view says the same in `cache_query`; a paginated list reads its page
    number without saying. Every other parameter is left out of the page's cache key: its page is the one without."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.cache_query = params
        return wrapped

    return decorate


def read_query(path_info: str) -> dict[str, str | None]:
    """The query parameters the view at this address reads (`reads_query`), with the values worth keeping."""
    try:
        view = resolve(path_info).func
    except Resolver404:
        return {}
    params = dict(getattr(view, "cache_query", None) or {})
    if (view_class := getattr(view, "view_class", None)) is not None:
        params.update(getattr(view_class, "cache_query", None) or {})
        if getattr(view_class, "paginate_by", None):
            params.setdefault(view_class.page_kwarg, rf"{PAGE_NUMBER}|last")
    return params


def kept_query(meta) -> str | None:
    """The query string as the page's key has it: the parameters its view reads, by name, each with its last value
    (the one `request.GET[name]` gives); no others, so tracking and junk parameters share the page without them.
    None when the page is not to be kept: a value not worth keeping, a query Django refuses (too many fields, a
    NUL), so Django answers it."""
    query = meta.get("QUERY_STRING", "")
    if not query:
        return ""
    if "%00" in query or "\x00" in query:
        return None
    try:
        params = read_query(get_path_info(meta))
        if not params:
            return ""
        given = QueryDict(get_bytes_from_wsgi(meta, "QUERY_STRING", ""), encoding=settings.DEFAULT_CHARSET)
    except (SuspiciousOperation, UnicodeError):  # too many fields; an address no server hands over
        return None
    kept = []
    for name in sorted(params):
        if name in given:
            value = given[name]
            if params[name] is not None and not re.fullmatch(params[name], value):
                return None
            kept.append((name, value))
    return urlencode(kept)


def page_key(meta) -> str | None:
    """The page's key, from the request's WSGI environment (`request.META`) as it came: the same before and
    inside Django, so a page can be answered before Django looks at the request. Only pages Django made are
    ever stored under it, so a host it refuses never matches one. None: not a page to keep (`kept_query`)."""
    meta = getattr(meta, "META", meta)
    query = kept_query(meta)
    if query is None:
        return None
    address = "\x00".join([*(str(meta.get(name, "")) for name in KEY_PARTS), query])
    return f"page:{hashlib.sha256(address.encode('utf-8', 'surrogateescape')).hexdigest()}"


def add_public_headers(response, snapshot: freshness.Snapshot, newest: int | None) -> None:
    """Cache-Control (`cache_control`), and Last-Modified: when what the page shows last changed (left out when
    it changed while the page was being made), also on feeds and sitemaps, whose own would not move when an
    item is removed or corrected."""
    changed_while_made = newest is not None and newest > snapshot.tick
    response["Cache-Control"] = cache_control(snapshot, changed_while_made=changed_while_made)
    if newest is not None and not changed_while_made:
        response["Last-Modified"] = http_date(snapshot.last_modified(newest))


def _newest(entries) -> dict[str, int]:
    try:
        return freshness.newest_of(entries)
    except Exception as exc:
        log_cache_failure(exc, "read the generations of a page's content")
        return {}


def _forget(key: str) -> None:
    try:
        cache.delete_many([key, freshness.index_key(key)])
    except Exception as exc:
        log_cache_failure(exc, "forget a page")


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


def accepted_encoding(meta) -> str | None:
    """The best compression the client takes (Accept-Encoding, with q=0 meaning "not this")."""
    accepted = set()
    for part in meta.get("HTTP_ACCEPT_ENCODING", "").split(","):
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


def encoded(meta, content: bytes, headers: dict, encodings: dict[str, bytes]) -> bytes:
    """The body in the encoding the client takes, its headers set to match (each encoding has its own ETag)."""
    encoding = accepted_encoding(meta)
    if encoding is not None and encoding in encodings:
        content = encodings[encoding]
        headers["Content-Encoding"] = encoding
        if (etag := headers.get("ETag", "")).endswith('"'):
            headers["ETag"] = f'{etag[:-1]}-{encoding}"'
    headers["Content-Length"] = str(len(content))
    return content


def cache_control(snapshot: freshness.Snapshot, *, stale: bool = False, changed_while_made: bool = False) -> str:
    """Browsers and proxies may keep a page HTTP_CACHE_SECONDS, and serve it as long again while they fetch a
    new copy; both end by the time the next scheduled story is due. A copy from before a change: not at all.

    Our caching proxies (CACHE_PROXIES), which every change purges, may keep it PROXY_CACHE_SECONDS (s-maxage),
    also ending, with the time they may serve it stale, by the next scheduled story; a page that changed while
    it was being made, not at all (its purge may have gone by)."""
    if stale:
        return "no-cache"
    max_age = stale_for = settings.HTTP_CACHE_SECONDS
    shared_max_age = settings.PROXY_CACHE_SECONDS
    if (until_next := snapshot.seconds_valid(timezone.now())) is not None:
        max_age = min(max_age, until_next)
        stale_for = max(0, min(stale_for, until_next - max_age))
        shared_max_age = max(0, min(shared_max_age, until_next - stale_for))
    value = f"public, max-age={max_age}, stale-while-revalidate={stale_for}"
    if settings.CACHE_PROXIES:
        value += f", s-maxage={0 if changed_while_made else shared_max_age}"
    return value


def answer(meta, key: str, entry: freshness.Entry, snapshot: freshness.Snapshot, *, stale: bool = False):
    """A page from the cache: its status, headers and body for this request."""
    content, stored, encodings = entry.value
    headers = dict(stored)
    body = encoded(meta, content, headers, encodings)
    headers["Cache-Control"] = cache_control(snapshot, stale=stale)
    newest = snapshot.newest.get(key, 0)
    if not stale and newest <= snapshot.tick:
        headers["Last-Modified"] = http_date(snapshot.last_modified(newest))
    headers["X-Page-Cache"] = "stale" if stale else "hit"
    return 200, headers, body


def _from_cache(request, key, entry: freshness.Entry, snapshot, *, stale=False) -> HttpResponse:
    _, headers, body = answer(request.META, key, entry, snapshot, stale=stale)
    return HttpResponse(body, headers=headers)


def is_cacheable(meta) -> bool:
    """A reader's GET or HEAD (no session cookie) of a page, not of a static or media file or a health probe."""
    return (
        settings.PAGE_CACHE
        and meta.get("REQUEST_METHOD") in {"GET", "HEAD"}
        and f"{settings.SESSION_COOKIE_NAME}=" not in meta.get("HTTP_COOKIE", "")
        and not meta.get("PATH_INFO", "").startswith((settings.STATIC_URL, settings.MEDIA_URL, *PROBES))
    )


class PublicCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reader = is_reader_request(request)
        key = page_key(request) if reader and is_cacheable(request.META) else None
        snapshot = request.content_snapshot = request.META.pop(EARLY_SNAPSHOT, None) or freshness.snapshot(key)
        entry = snapshot.found.get(key) if key else None
        claimed = False
        if isinstance(entry, freshness.Entry):
            if snapshot.entry(key) is not None:
                return _from_cache(request, key, entry, snapshot)
            claimed = _claim(key)
            if not claimed:
                # Someone is making it again this moment: the copy from before the change, not to be kept.
                return _from_cache(request, key, entry, snapshot, stale=True)
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
                    headers = {"ETag": response["ETag"]}
                    body = encoded(request.META, response.content, headers, encodings)
                    if body is not response.content:
                        response.content = body
                    for name, value in headers.items():
                        response[name] = value
                    response["X-Page-Cache"] = "miss"
                else:
                    page["-"] = freshness.Entry(snapshot.tick, keys, None)  # not kept: only its keys' newest
            if claimed and key not in page:
                # The page changed into one that is not kept (unpublished: a 404; moved: a redirect): its old copy
                # must go now, or it would be handed out as "the copy from before" for as long as it is kept.
                _forget(key)
            stored = snapshot.write({k: v for k, v in page.items() if k != "-"})
            if page:
                if "-" in page:
                    stored = _newest(page)
                add_public_headers(response, snapshot, stored.get(next(iter(page))))
        finally:
            if claimed:
                _release(key)
        return response


EARLY_SNAPSHOT = "newsroom.page_cache_snapshot"


class EarlyHits:
    """WSGI: a page from the cache answered before Django sees the request (no request object, middleware,
    session, authentication or CSRF machinery), with the same headers, encodings and conditional GETs
    (304) as through Django. Anything else, a page not cached or changed since, goes on to Django with what
    was read, so it costs no second round trip to the cache."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if is_cacheable(environ) and (key := page_key(environ)) is not None:
            try:
                snapshot = freshness.snapshot(key)
            except Exception:  # the database the schedule is read from, say: Django answers as it can
                logger.exception("Cannot read the page cache before Django")
                return self.application(environ, start_response)
            entry = snapshot.entry(key)
            if entry is None:
                environ[EARLY_SNAPSHOT] = snapshot
            else:
                status, headers, body = answer(environ, key, entry, snapshot)
                if _not_modified(environ, headers):
                    status, body = 304, b""
                    headers = {k: v for k, v in headers.items() if k in NOT_MODIFIED_HEADERS}
                elif environ["REQUEST_METHOD"] == "HEAD":
                    body = b""
                start_response(f"{status} {'OK' if status == 200 else 'Not Modified'}", list(headers.items()))
                return [body]
        return self.application(environ, start_response)


# What a 304 keeps of the page's headers (RFC 9110, as Django's ConditionalGetMiddleware keeps them).
NOT_MODIFIED_HEADERS = {"Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary"}
NOT_MODIFIED_HEADERS |= {"X-Page-Cache", "xkey"}


def _not_modified(environ, headers) -> bool:
    """If-None-Match (weak comparison) first, else If-Modified-Since, as Django's conditional GET decides."""
    if if_none_match := environ.get("HTTP_IF_NONE_MATCH"):
        etags = parse_etags(if_none_match)
        etag = headers.get("ETag", "").removeprefix("W/")
        return "*" in etags or etag in {tag.removeprefix("W/") for tag in etags}
    if not (if_modified_since := environ.get("HTTP_IF_MODIFIED_SINCE")):
        return False
    since = parse_http_date_safe(if_modified_since)
    modified = parse_http_date_safe(headers.get("Last-Modified", ""))
    return since is not None and modified is not None and modified <= since
