"""Embeds: a link registered once, resolved on a worker, fetched again when staff ask.

`embed_for_url` is what a save calls for each embed link in a text; it never fetches. `embed_resolve` (the worker's
task, embeds/tasks.py) asks the provider's oEmbed endpoint, keeps what it says, copies the thumbnail into the media
library, and on any failure keeps the link with why, so the page shows a plain link and the reporter sees no error.
"""

import json
import logging
import math
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from newsroom import freshness
from newsroom.queueing import enqueue
from newsroom.text import one_line

from .fetching import FetchError, fetch
from .models import Embed, embed_key, origin
from .providers import Provider, provider_for, provider_named

logger = logging.getLogger(__name__)

OEMBED_TYPES = {"video", "rich", "photo", "link"}
DISCOVERY_TYPES = {"application/json+oembed"}
# What no text holds and no database column takes: a NUL, or half of a UTF-16 surrogate pair ("\ud800" in JSON).
NOT_TEXT = re.compile(r"[\x00\ud800-\udfff]")


def normalise(url: str) -> str:
    """The link as stored: trimmed, scheme and host in lower case, no fragment unless it carries the place (maps)."""
    parts = urlsplit(url.strip())
    fragment = parts.fragment if parts.fragment.startswith("map=") else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, fragment))


def embeddable(url: str) -> bool:
    """Whether a link on its own line becomes an embed: a listed provider's, or any web page with discovery on."""
    url = normalise(url)
    if provider_for(url):
        return True
    return settings.EMBED_DISCOVERY and urlsplit(url).scheme in {"http", "https"}


def embed_for_url(url: str) -> Embed | None:
    """The stored embed for a link, registered (and queued to resolve once the save commits) if it is new."""
    from .tasks import resolve_embed

    url = normalise(url)
    if len(url) > Embed._meta.get_field("url").max_length or not embeddable(url):
        return None
    provider = provider_for(url)
    embed, created = Embed.objects.get_or_create(
        url=url,
        defaults={"provider": provider.slug if provider else "", "next_attempt_at": timezone.now() + queued_grace()},
    )
    if created:
        transaction.on_commit(lambda: enqueue(resolve_embed, embed.pk), robust=True)
    return embed


def embed_refresh(embed: Embed) -> None:
    """Fetch it again (staff asked): it shows as before until the worker is done, and a provider that fails again
    has its few attempts afresh."""
    from .tasks import resolve_embed

    Embed.objects.filter(pk=embed.pk).update(attempts=0, next_attempt_at=timezone.now() + queued_grace())
    transaction.on_commit(lambda: enqueue(resolve_embed, embed.pk), robust=True)


def queued_grace() -> timedelta:
    """How long a queued fetch has to start and finish before the scheduler takes it for lost."""
    return timedelta(seconds=max(settings.EMBED_RETRY_SECONDS, settings.EMBED_FETCH_TIMEOUT * 2))


def _pause(attempts: int) -> timedelta:
    """The wait after a fetch that failed, longer after each: EMBED_RETRY_SECONDS, twice that, four times…"""
    return max(queued_grace(), timedelta(seconds=settings.EMBED_RETRY_SECONDS * 2 ** min(attempts - 1, 16)))


class _Frames(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.sources.append(dict(attrs).get("src") or "")
        elif tag == "script":
            self.scripts += 1


def _player_frame(provider: Provider | None, html: str) -> str:
    """The player's own frame when the provider's markup is just that (one frame from one of its origins, no
    script): readers' browsers then load it directly, in a sandbox. YouTube's is moved to its no-cookie host."""
    parser = _Frames()
    parser.feed(html)
    if parser.scripts or len(parser.sources) != 1 or provider is None:
        return ""
    source = parser.sources[0]
    if provider.slug == "youtube":
        source = re.sub(r"^https://www\.youtube\.com/embed/", "https://www.youtube-nocookie.com/embed/", source)
    return source if origin(source) in provider.frames and len(source) <= 2000 else ""


def _text(data: dict, name: str, limit: int) -> str:
    value = data.get(name)
    return one_line(value)[:limit] if isinstance(value, str) else ""


def _web_url(data: dict, name: str) -> str:
    value = _text(data, name, 1000)
    try:
        return value if urlsplit(value).scheme in {"http", "https"} else ""
    except ValueError:  # "http://[::1/x"
        return ""


def _size(data: dict, name: str) -> int | None:
    value = data.get(name)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is not int:  # not a bool either
        return None
    return value if 0 < value <= 10_000 else None


def _finite(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):  # 1e999
        raise ValueError("a number out of range")
    return value


def _not_a_number(name: str):
    raise ValueError(f"{name} is not a number JSON has")


def _parsed(body: bytes) -> dict:
    """The provider's answer as oEmbed, or why it is not: JSON (no number out of range, no nesting deeper than
    the parser goes), an object of a known type, with nothing in its texts that is not text."""
    try:
        data = json.loads(body, parse_float=_finite, parse_constant=_not_a_number)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"the provider's answer is not JSON we take ({str(exc)[:80]})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str) or data["type"] not in OEMBED_TYPES:
        raise FetchError("the provider's answer is not oEmbed")
    for name, value in data.items():
        if isinstance(value, str) and NOT_TEXT.search(value):
            raise FetchError(f"the provider's {name[:40]!r} is not text (it holds a NUL or half a character)")
    return data


def _discover(url: str) -> str:
    """The oEmbed endpoint a page names for itself (`<link rel="alternate" type="application/json+oembed">`)."""
    page = fetch(url, max_bytes=settings.EMBED_FETCH_MAX_BYTES, accept="text/html")

    class Links(HTMLParser):
        found = ""

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "link" and attrs.get("type") in DISCOVERY_TYPES and not self.found:
                self.found = attrs.get("href") or ""

    links = Links()
    links.feed(page.body.decode("utf-8", "replace"))
    if not links.found:
        raise FetchError("the page names no oEmbed endpoint")
    try:
        return urljoin(page.url, links.found)
    except ValueError as exc:
        raise FetchError("the page names an oEmbed endpoint that is not a web address") from exc


def _oembed(embed: Embed, provider: Provider | None) -> dict:
    if provider is None:
        request = _discover(embed.url)
    else:
        params = {"url": embed.url, "format": "json", "maxwidth": 720, **provider.extra}
        if provider.credential_setting:
            if not provider.token:
                raise FetchError(f"{provider.name} embeds need an access token ({provider.credential_setting})")
            params["access_token"] = provider.token
        request = f"{provider.endpoint_for(embed.url)}?{urlencode(params)}"
    return _parsed(fetch(request, max_bytes=settings.EMBED_FETCH_MAX_BYTES, accept="application/json").body)


def _thumbnail_file(embed: Embed, address: str) -> ContentFile | None:
    """The provider's thumbnail, fetched (outside any transaction: it may take a while)."""
    if not address:
        return None
    try:
        picture = fetch(address, max_bytes=settings.IMAGE_MAX_UPLOAD_MB * 1024 * 1024, accept="image/*")
    except FetchError as exc:
        logger.warning("Embed %s: no thumbnail from %s: %s", embed.pk, address[:200], exc)
        return None
    return ContentFile(picture.body, name=f"{embed.provider or 'embed'}-{embed.pk}")


def _thumbnail(embed: Embed, file: ContentFile | None):
    """The thumbnail copied into the media library, if it is a picture."""
    from articles.services import image_create

    if file is None:
        return None
    alt = embed.title or f"{embed.provider_name} preview"
    try:
        return image_create(file=file, alt_text=alt[:250], credit=embed.provider_name[:120])
    except ValidationError as exc:
        logger.warning("Embed %s: its thumbnail is not a picture we take: %s", embed.pk, exc)
        return None


def _drop_thumbnail(pk: int) -> None:
    """An embed's previous thumbnail, replaced: gone, unless a story or an author has taken it up as their own
    picture (the choosers no longer offer thumbnails, but one may have been chosen before they stopped)."""
    from articles.models import Image

    try:
        with transaction.atomic():
            deleted, _ = Image.objects.filter(pk=pk).unused().delete()
    except ProtectedError:  # taken up between the check and the delete
        deleted = 0
    if not deleted:
        logger.info("Embed thumbnail %s is kept: a story or an author uses it", pk)


def _failed(embed: Embed, reason: str, now) -> Embed:
    """Kept as a link with why; tried again after a pause unless that was the last attempt."""
    again = {} if embed.attempts < settings.EMBED_FETCH_ATTEMPTS else {"next_attempt_at": None}
    Embed.objects.filter(pk=embed.pk).update(status=Embed.Status.FAILED, error=reason[:300], fetched_at=now, **again)
    embed.refresh_from_db()
    freshness.changed(embed_key(embed.url))  # a plain link where the facade was, after a failed refresh
    return embed


def embed_resolve(embed: Embed) -> Embed:
    """Ask the provider about the link and keep the answer; on failure keep the link and why."""
    provider = provider_named(embed.provider) or provider_for(embed.url)
    now = timezone.now()
    # The attempt is counted before anything is fetched: one that never finishes (a worker killed) counts too.
    embed.attempts += 1
    Embed.objects.filter(pk=embed.pk).update(attempts=embed.attempts, next_attempt_at=now + _pause(embed.attempts))
    try:
        if provider and provider.frame_url:
            try:
                frame = provider.frame_url(embed.url)
            except ValueError as exc:
                raise FetchError(f"not a map link this site can show: {exc}") from exc
            values = {"kind": "rich", "title": embed.title or provider.name, "frame_url": frame, "html": ""}
            thumbnail_file = None
        else:
            data = _oembed(embed, provider)
            html = data.get("html") if data["type"] in {"video", "rich"} else ""
            html = html if isinstance(html, str) and len(html) <= settings.EMBED_FETCH_MAX_BYTES else ""
            values = {
                "kind": data["type"],
                "title": _text(data, "title", 300),
                "author_name": _text(data, "author_name", 200),
                "author_url": _web_url(data, "author_url"),
                "html": html,
                "frame_url": _player_frame(provider, html),
                "width": _size(data, "width"),
                "height": _size(data, "height"),
            }
            picture = _web_url(data, "url") if data["type"] == "photo" else _web_url(data, "thumbnail_url")
            embed.title = values["title"]
            thumbnail_file = _thumbnail_file(embed, picture)
    except FetchError as exc:
        logger.info("Embed %s (%s) shown as a link: %s", embed.pk, embed.url[:200], exc)
        return _failed(embed, str(exc), now)
    except Exception as exc:  # an answer no rule above foresaw: still a plain link with why, never a retried crash
        logger.warning(
            "Embed %s (%s): the provider's answer broke its reading", embed.pk, embed.url[:200], exc_info=True
        )
        return _failed(embed, f"the provider's answer could not be read ({type(exc).__name__})", now)
    # The copy of the thumbnail and the embed's record of it are kept together or not at all: a worker stopped
    # between the two leaves no picture in the library that nothing names (the task is tried again). The embed's
    # row is locked first, so of two fetches at once the second replaces the first's thumbnail, not the one before.
    with transaction.atomic():
        locked = Embed.objects.select_for_update().filter(pk=embed.pk).values_list("pk", "thumbnail").first()
        if locked is None:
            return embed  # deleted meanwhile: nothing to keep
        old_thumbnail = locked[1]
        thumbnail = _thumbnail(embed, thumbnail_file)
        Embed.objects.filter(pk=embed.pk).update(
            **values,
            thumbnail_id=thumbnail.pk if thumbnail else old_thumbnail,
            status=Embed.Status.READY,
            error="",
            fetched_at=now,
            attempts=0,
            next_attempt_at=None,
        )
        if thumbnail and old_thumbnail and old_thumbnail != thumbnail.pk:
            _drop_thumbnail(old_thumbnail)  # a refreshed thumbnail replaces the old copy
    embed.refresh_from_db()
    freshness.changed(embed_key(embed.url))
    return embed
