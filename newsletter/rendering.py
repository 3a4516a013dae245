"""An edition as email: rendered once, then personalised per recipient by substitution.

Rendering the templates for each of 200,000 recipients would cost seconds of CPU per thousand
messages; the edition is the same for everyone except the unsubscribe link, so it is rendered once
with a marker where that link goes, and each message replaces the marker. The marker is a character
from Unicode's private-use area, which no template escapes and no headline carries.
"""

import re
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from articles.models import published_filter
from articles.sanitize import sanitize_body

from .models import Edition, Subscription, absolute_url

UNSUBSCRIBE_MARK = "\ue000unsubscribe\ue000"
EMAIL_IMAGE_WIDTH = 640  # the email's column; renditions this wide (or the nearest below) are linked
EMAIL_IMAGE_SHOWN = 592  # the column less its padding: the width the picture is shown at
TEXT_WIDTH = 72
# After the preheader, so inboxes do not fill the preview line with the email's first words.
PREHEADER_PADDING = mark_safe("&#847;&zwnj;&nbsp;" * 40)

_inliner = css_inline.CSSInliner(keep_style_tags=True)  # the dark-mode @media rules stay in <style>


@dataclass(frozen=True)
class RenderedEdition:
    subject: str
    html: str
    text: str


def email_image(image, *, alt: str = "") -> dict | None:
    """The absolute URL, size and alt text (or `alt` if it has none) of an image's existing rendition for the
    email's column."""
    if image is None:
        return None
    renditions = image.renditions(image.fallback_extension)  # JPEG/PNG: every mail client shows them
    if not renditions:
        return None
    fitting = [r for r in renditions if r.width <= EMAIL_IMAGE_WIDTH] or [renditions[0]]
    chosen = fitting[-1]
    url = chosen.url if "://" in chosen.url else absolute_url(chosen.url)
    shown = min(chosen.width, EMAIL_IMAGE_SHOWN)
    return {
        "url": url,
        "width": chosen.width,
        "height": chosen.height,
        "display_height": round(chosen.height * EMAIL_IMAGE_SHOWN / chosen.width) if chosen.width else shown,
        "alt": image.alt_text.strip() or alt,
    }


_SITE_PATH = re.compile(r'(\s(?:href|src)=")/(?!/)')


def absolute_links(markup: str) -> str:
    """Links and images of sanitised HTML with the site's address in front of paths, as an email needs."""
    return _SITE_PATH.sub(lambda m: f"{m.group(1)}{settings.SITE_URL.rstrip('/')}/", markup)


class _PlainText(HTMLParser):
    """Sanitised HTML as plain text: a blank line between blocks, a link's address after its words."""

    BLOCKS = {"p", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "figure", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, bool]] = []  # (text, whether it is a list item)
        self.current: list[str] = []
        self.links: list[str | None] = []

    def _end_block(self):
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append((text, text.startswith("- ")))
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS or tag == "li":
            self._end_block()
            if tag == "li":
                self.current.append("- ")
        elif tag == "br":
            self._end_block()
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.current.append(f" ({href})")
        elif tag in self.BLOCKS or tag == "li":
            self._end_block()

    def handle_data(self, data):
        self.current.append(data)


def plain_text(markup: str, *, width: int = TEXT_WIDTH) -> str:
    """The words of sanitised HTML for a text email: entities decoded, paragraphs kept, lines wrapped."""
    parser = _PlainText()
    parser.feed(markup)
    parser.close()
    parser._end_block()
    wrap = textwrap.TextWrapper(width=width, break_long_words=False, break_on_hyphens=False)
    text = ""
    for position, (block, is_item) in enumerate(parser.blocks):
        if position:
            text += "\n" if is_item and parser.blocks[position - 1][1] else "\n\n"
        text += wrap.fill(block)  # the parser has decoded the entities
    return text


def edition_context(edition: Edition, *, unsubscribe_url: str = UNSUBSCRIBE_MARK) -> dict:
    # Only stories readers can open: one unpublished since it was chosen drops out rather than link to a 404.
    items = list(
        edition.items.filter(published_filter("article__"))
        .select_related("article__section", "article__lead_image")
        .order_by("order", "pk")
    )
    stories = [
        {
            "headline": item.article.headline,
            "kicker": item.article.kicker,
            "section": item.article.section.name,
            "summary": item.summary,
            "url": absolute_url(item.article.get_absolute_url()),
            "image": email_image(item.article.lead_image, alt=item.article.headline),
        }
        for item in items
    ]
    preheader = edition.preheader or (stories[0]["summary"] if stories else "")
    intro = absolute_links(sanitize_body(edition.intro or ""))
    return {
        "edition": edition,
        "newsletter": edition.newsletter,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "subject": edition.subject,
        "preheader": preheader,
        "intro": mark_safe(intro),  # noqa: S308 (sanitised with the body allow-list)
        "intro_text": plain_text(intro),
        "preheader_padding": PREHEADER_PADDING,
        "stories": stories,
        "web_url": absolute_url(edition.get_absolute_url()),
        "archive_url": absolute_url(reverse("newsletter:archive", kwargs={"slug": edition.newsletter.slug})),
        "unsubscribe_url": unsubscribe_url,
    }


def edition_render(edition: Edition) -> RenderedEdition:
    """The email every recipient gets, with UNSUBSCRIBE_MARK where their own unsubscribe link goes."""
    context = edition_context(edition)
    html = _inliner.inline(render_to_string("newsletter/email/edition.html", context))
    text = render_to_string("newsletter/email/edition.txt", context)
    return RenderedEdition(subject=edition.subject, html=html, text=text)


def frozen(edition: Edition) -> RenderedEdition:
    """What a sending edition was rendered as when it started."""
    return RenderedEdition(subject=edition.rendered_subject, html=edition.rendered_html, text=edition.rendered_text)


def personalise(rendered: RenderedEdition, *, unsubscribe_url: str) -> tuple[str, str]:
    """The HTML and text of one recipient's copy."""
    return (
        rendered.html.replace(UNSUBSCRIBE_MARK, unsubscribe_url),
        rendered.text.replace(UNSUBSCRIBE_MARK, unsubscribe_url),
    )


def message_id(edition: Edition, subscription_id: int) -> str:
    """The same Message-ID every time this edition goes to this subscriber, so a repeat collapses in the inbox."""
    return f"<edition-{edition.pk}.{subscription_id}@{settings.NEWSLETTER_LIST_DOMAIN}>"


def list_headers(edition: Edition, unsubscribe_url: str) -> dict:
    """The headers every copy of the edition carries, whoever it goes to."""
    return {
        "List-Id": edition.newsletter.list_id(),
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "bulk",
        "Auto-Submitted": "auto-generated",
    }


def recipient_headers(edition: Edition, subscription: Subscription, unsubscribe_url: str) -> dict:
    return {"Message-ID": message_id(edition, subscription.pk), **list_headers(edition, unsubscribe_url)}
