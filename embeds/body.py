"""Embeds in a story's text: a paragraph holding nothing but a provider's link (pasted on a line of its own, as
WordPress has it) is an embed. Saving registers it (the worker resolves it); showing the story puts the facade in
its place once it is resolved, and a plain link until then or if the provider failed."""

import re
from html import unescape

from django.db.models.signals import post_save
from django.utils.html import format_html

from articles.rendering import BodyPart, body_blocks

from .models import Embed, embed_key, origin
from .providers import provider_for
from .services import embed_for_url, embeddable, normalise

# A sanitised paragraph of one link whose text is its address, or of a bare address.
_LINK_ALONE = re.compile(r'<p>\s*(?:<a href="([^"]+)">([^<]*)</a>|(https?://[^\s<]+))\s*</p>')


def embed_link(block: str) -> str | None:
    """The link a block is made of, if it is an embed (a listed provider's, or any with discovery on)."""
    found = _LINK_ALONE.fullmatch(block.strip())
    if not found:
        return None
    href, text, bare = found.groups()
    url = unescape(bare or href)
    if href and unescape(text).strip() not in {url, url.rstrip("/")}:
        return None  # a link in words ("watch the council meeting") is meant as a link
    try:
        return normalise(url) if embeddable(url) else None
    except ValueError:  # "http://[::1/x", a bracket never closed: no address anything can be fetched from
        return None


def embed_links(html: str) -> list[str]:
    """The embed links in a text. Asked of the story on every request for its page (the policy's frames), so a
    text with no link alone in a paragraph is not split into blocks at all."""
    if not _LINK_ALONE.search(html or ""):
        return []
    return [url for block in body_blocks(html) if (url := embed_link(block))]


def embeds_register(html: str) -> list[Embed]:
    """Every embed link in the text registered (queued to resolve once the save commits); nothing is fetched."""
    return [embed for url in embed_links(html) if (embed := embed_for_url(url))]


def frame_origins(html: str) -> set[str]:
    """The origins a reader's browser may load frames from on a page showing this text, worked out from the links
    alone (no query, so a page from the cache knows them too): each provider's players, and our own origin, which
    serves a provider's markup in a sandboxed frame of its own (embeds/views.py)."""
    origins = set()
    for url in embed_links(html):
        provider = provider_for(url)
        origins.update(provider.frames if provider else ())
        if provider is None or provider.slug == "mastodon":
            if found := origin(url):
                origins.add(found)
    return origins


def page_keys(html: str) -> set[str]:
    """What a page showing this text depends on for its embeds: each link's, raised when it is resolved."""
    return {embed_key(url) for url in embed_links(html)}


def with_embeds(*part_lists: list[BodyPart]) -> list[list[BodyPart]]:
    """Each list of a text's parts with every resolved embed link as an embed part: one query for all of them,
    only if there are any."""
    links = [
        {index: url for index, part in enumerate(parts) if part.kind == "html" and (url := embed_link(part.value))}
        for parts in part_lists
    ]
    wanted = set().union(*(found.values() for found in links))
    if not wanted:
        return list(part_lists)
    ready = Embed.objects.filter(url__in=wanted, status=Embed.Status.READY).select_related("thumbnail")
    embeds = {embed.url: embed for embed in ready}
    return [
        [_shown(part, found.get(index), embeds) for index, part in enumerate(parts)]
        for parts, found in zip(part_lists, links, strict=True)
    ]


def _shown(part: BodyPart, url: str | None, embeds: dict[str, Embed]) -> BodyPart:
    """A part as readers get it: an embed once it is resolved; until then, or if the provider failed, the plain
    link they can follow (an address typed bare made a link too)."""
    if url is None:
        return part
    if url in embeds:
        return BodyPart("embed", embeds[url])
    found = _LINK_ALONE.fullmatch(str(part.value).strip())
    if found and found[3]:
        address = unescape(found[3])
        return BodyPart("html", format_html('<p><a href="{}">{}</a></p>', address, address))
    return part


def _registered_on_save(sender, instance, raw=False, **kwargs):
    """The text's embed links registered and recorded as its own, with the save: its readers get their frames from
    the moment it is public, and no longer once it is not (EmbedQuerySet.shown_to_readers)."""
    if not raw:
        instance.embeds.set(embeds_register(instance.body))


def connect() -> None:
    from articles.models import Article
    from live.models import LiveUpdate

    post_save.connect(_registered_on_save, sender=Article, dispatch_uid="embeds-registered-on-article-save")
    post_save.connect(_registered_on_save, sender=LiveUpdate, dispatch_uid="embeds-registered-on-live-update-save")
