"""The providers whose links become embeds: which addresses are theirs, where their oEmbed endpoint is, and which
origins their players load in a frame (the only frames a page's Content-Security-Policy allows).

A link from any other site stays a plain link: there is no oEmbed discovery unless `EMBED_DISCOVERY` is on, and
even then only the address rules of the fetcher (embeds/fetching.py) apply. Some providers need an access token
for their oEmbed endpoint (Meta's Facebook and Instagram: `EMBED_META_TOKEN`); without one their links are stored
with what the address says (provider and link) and shown as a link card.

Two map providers have no oEmbed endpoint: the frame's address is built from the link itself (no fetch at all).
"""

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from django.conf import settings


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    patterns: tuple[str, ...]  # full-match regular expressions on the link (https only)
    endpoint: str = ""  # the oEmbed endpoint ("{host}" is the link's host, for federated services)
    frames: tuple[str, ...] = ()  # origins their player frames load from
    credential_setting: str = ""  # a setting holding the access token the endpoint asks for
    frame_url: object = None  # for providers without oEmbed: link -> the player frame's address
    extra: dict = field(default_factory=dict)  # more oEmbed parameters

    def matches(self, url: str) -> bool:
        return any(re.fullmatch(pattern, url, re.I) for pattern in self.patterns)

    def endpoint_for(self, url: str) -> str:
        return self.endpoint.format(host=urlsplit(url).hostname or "")

    @property
    def token(self) -> str:
        return getattr(settings, self.credential_setting, "") if self.credential_setting else ""


def _openstreetmap_frame(url: str) -> str:
    """https://www.openstreetmap.org/#map=15/51.5076/-0.1276 (or ?mlat=…&mlon=…) -> the export page's frame."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    found = re.search(r"map=(\d+)/(-?[\d.]+)/(-?[\d.]+)", parts.fragment)
    if found:
        zoom, lat, lon = int(found[1]), float(found[2]), float(found[3])
    elif "mlat" in query and "mlon" in query:
        zoom, lat, lon = 15, float(query["mlat"][0]), float(query["mlon"][0])
    else:
        raise ValueError("no map position in the link")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("the position is off the map")
    span = 360 / 2 ** min(max(zoom, 1), 19) * 2
    bbox = ",".join(f"{v:.5f}" for v in (lon - span, lat - span / 2, lon + span, lat + span / 2))
    query = urlencode({"bbox": bbox, "layer": "mapnik", "marker": f"{lat:.5f},{lon:.5f}"})
    return f"https://www.openstreetmap.org/export/embed.html?{query}"


def _google_maps_frame(url: str) -> str:
    """A Google Maps place or search link -> the keyless embed of the same search."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if "q" in query:
        place = query["q"][0]
    elif found := re.search(r"/maps/(?:place|search)/([^/]+)", parts.path):
        place = found[1].replace("+", " ")
    elif found := re.search(r"/@(-?[\d.]+),(-?[\d.]+)", parts.path):
        place = f"{found[1]},{found[2]}"
    else:
        raise ValueError("no place in the link")
    return f"https://www.google.com/maps?q={quote(place, safe=',')}&output=embed"


PROVIDERS = (
    Provider(
        "youtube",
        "YouTube",
        (
            r"https://(www\.|m\.)?youtube\.com/(watch\?.*v=[\w-]{11}.*|shorts/[\w-]{11}.*|live/[\w-]{11}.*)",
            r"https://youtu\.be/[\w-]{11}.*",
        ),
        "https://www.youtube.com/oembed",
        ("https://www.youtube-nocookie.com", "https://www.youtube.com"),
    ),
    Provider(
        "vimeo",
        "Vimeo",
        (r"https://(www\.)?vimeo\.com/(\d+|channels/[\w-]+/\d+|[\w-]+/[\w-]+)([/?#].*)?",),
        "https://vimeo.com/api/oembed.json",
        ("https://player.vimeo.com",),
        extra={"dnt": "1"},
    ),
    Provider(
        "x",
        "X",
        (r"https://(www\.|mobile\.)?(twitter|x)\.com/\w+/status(es)?/\d+([/?#].*)?",),
        "https://publish.twitter.com/oembed",
        ("https://platform.twitter.com", "https://syndication.twitter.com"),
        extra={"dnt": "true", "omit_script": "false"},
    ),
    Provider(
        "instagram",
        "Instagram",
        (r"https://(www\.)?instagram\.com/(p|reel|tv)/[\w-]+/?([?#].*)?",),
        "https://graph.facebook.com/v19.0/instagram_oembed",
        ("https://www.instagram.com",),
        credential_setting="EMBED_META_TOKEN",
    ),
    Provider(
        "facebook",
        "Facebook",
        (
            r"https://(www\.|m\.)?facebook\.com/[\w.-]+/(posts|videos)/[\w.-]+/?([?#].*)?",
            r"https://(www\.|m\.)?facebook\.com/(watch/?\?v=\d+|permalink\.php\?.+|story\.php\?.+)",
            r"https://fb\.watch/[\w-]+/?",
        ),
        "https://graph.facebook.com/v19.0/oembed_post",
        ("https://www.facebook.com",),
        credential_setting="EMBED_META_TOKEN",
    ),
    Provider(
        "tiktok",
        "TikTok",
        (r"https://(www\.)?tiktok\.com/@[\w.-]+/video/\d+([/?#].*)?",),
        "https://www.tiktok.com/oembed",
        ("https://www.tiktok.com",),
    ),
    Provider(
        "bluesky",
        "Bluesky",
        (r"https://bsky\.app/profile/[\w.:-]+/post/\w+/?",),
        "https://embed.bsky.app/oembed",
        ("https://embed.bsky.app",),
    ),
    Provider(
        "mastodon",
        "Mastodon",
        (r"https://[a-z0-9.-]+\.[a-z]{2,}/@\w+(@[a-z0-9.-]+)?/\d+/?",),
        "https://{host}/api/oembed",
        (),  # the post's own server; added from the stored link (embeds/models.py)
    ),
    Provider(
        "soundcloud",
        "SoundCloud",
        (r"https://(www\.|m\.)?soundcloud\.com/[\w-]+/[\w-]+(/[\w-]+)?/?([?#].*)?",),
        "https://soundcloud.com/oembed",
        ("https://w.soundcloud.com",),
    ),
    Provider(
        "spotify",
        "Spotify",
        (r"https://open\.spotify\.com/(intl-[\w-]+/)?(track|album|playlist|episode|show|artist)/\w+([/?#].*)?",),
        "https://open.spotify.com/oembed",
        ("https://open.spotify.com",),
    ),
    Provider(
        "datawrapper",
        "Datawrapper",
        (r"https://(datawrapper\.dwcdn\.net|www\.datawrapper\.de/_)/\w+(/\d+)?/?",),
        "https://api.datawrapper.de/v3/oembed",
        ("https://datawrapper.dwcdn.net",),
    ),
    Provider(
        "flourish",
        "Flourish",
        (r"https://public\.flourish\.studio/(visualisation|story)/\d+/?",),
        "https://app.flourish.studio/api/v1/oembed",
        ("https://flo.uri.sh", "https://public.flourish.studio"),
    ),
    Provider(
        "google-maps",
        "Google Maps",
        (
            r"https://(www\.)?google\.[a-z.]+/maps([/?].*)?",
            r"https://maps\.google\.[a-z.]+/.*",
        ),
        frames=("https://www.google.com",),
        frame_url=_google_maps_frame,
    ),
    Provider(
        "openstreetmap",
        "OpenStreetMap",
        (r"https://(www\.)?openstreetmap\.org/.*",),
        frames=("https://www.openstreetmap.org",),
        frame_url=_openstreetmap_frame,
    ),
)


def providers() -> tuple[Provider, ...]:
    """The list, after any a site adds in `EMBED_EXTRA_PROVIDERS` (a local broadcaster's, or a test's stub)."""
    return (*getattr(settings, "EMBED_EXTRA_PROVIDERS", ()), *PROVIDERS)


def editor_table() -> list[dict]:
    """The providers as the body editor marks their links (static/articles/editor/blocks.js: EmbedLinks)."""
    return [{"name": provider.name, "patterns": list(provider.patterns)} for provider in providers()]


def provider_for(url: str) -> Provider | None:
    """The listed provider whose links look like this one, if any."""
    return next((provider for provider in providers() if provider.matches(url)), None)


def provider_named(slug: str) -> Provider | None:
    return next((provider for provider in providers() if provider.slug == slug), None)
