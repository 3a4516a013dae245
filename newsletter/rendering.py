"""An edition as email: rendered once, then personalised per recipient by substitution.

Rendering the templates for each of 200,000 recipients would cost seconds of CPU per thousand
messages; the edition is the same for everyone except the reader's own links (unsubscribe and
preferences), which both carry one signed token. So it is rendered once with a marker where that
token goes, and each message replaces the marker. The marker is a character from Unicode's
private-use area, which no template escapes and no headline carries.
"""

import re
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from articles.models import published_filter
from articles.sanitize import sanitize_body
from newsroom.text import one_line

from .models import Edition, Subscription, absolute_url

LINK_MARK = "\ue000link\ue000"
# Where the whole unsubscribe URL went in editions rendered before the preferences link; `frozen` rewrites it.
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


def link_with_mark(name: str) -> str:
    """The absolute URL of an email link (a URL name taking `token`) with LINK_MARK where the token goes."""
    return absolute_url(reverse(name, kwargs={"token": LINK_MARK}).replace(quote(LINK_MARK), LINK_MARK))


def edition_unsubscribe_url(edition: Edition, token: str) -> str:
    """A recipient's unsubscribe link in this edition: it names the edition, so an unsubscribe is counted
    against the edition it came from."""
    return f"{absolute_url(reverse('newsletter:unsubscribe', kwargs={'token': token}))}?edition={edition.pk}"


def edition_context(edition: Edition) -> dict:
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
        "unsubscribe_url": f"{link_with_mark('newsletter:unsubscribe')}?edition={edition.pk}",
        "preferences_url": f"{link_with_mark('newsletter:preferences')}?edition={edition.pk}",
    }


def edition_render(edition: Edition) -> RenderedEdition:
    """The email every recipient gets, with LINK_MARK where their own links' token goes."""
    context = edition_context(edition)
    html = _inliner.inline(render_to_string("newsletter/email/edition.html", context))
    text = render_to_string("newsletter/email/edition.txt", context)
    return RenderedEdition(subject=one_line(edition.subject), html=html, text=text)  # one stored before validation


def frozen(edition: Edition) -> RenderedEdition:
    """What a sending edition was rendered as when it started. One rendered before the links took a token
    (UNSUBSCRIBE_MARK for the whole link) is read as the same link around LINK_MARK."""
    html, text = edition.rendered_html, edition.rendered_text
    if UNSUBSCRIBE_MARK in html or UNSUBSCRIBE_MARK in text:
        link = link_with_mark("newsletter:unsubscribe")
        html, text = html.replace(UNSUBSCRIBE_MARK, link), text.replace(UNSUBSCRIBE_MARK, link)
    return RenderedEdition(subject=edition.rendered_subject, html=html, text=text)


def personalise(rendered: RenderedEdition, *, token: str) -> tuple[str, str]:
    """The HTML and text of one recipient's copy."""
    return rendered.html.replace(LINK_MARK, token), rendered.text.replace(LINK_MARK, token)


_READER_LINK = re.compile(rf'[^\s"<>]*{LINK_MARK}[^\s"<>]*')


def staff_copy(rendered: RenderedEdition, *, url: str) -> tuple[str, str]:
    """The HTML and text of a copy for staff, who are not subscribers: every link that would carry a
    reader's token goes to `url` instead."""

    def link(match):
        return url

    return _READER_LINK.sub(link, rendered.html), _READER_LINK.sub(link, rendered.text)


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
