"""An edition as email: rendered once, then personalised per recipient by substitution.

Rendering the templates for each of 200,000 recipients would cost seconds of CPU per thousand
messages; the edition is the same for everyone except the unsubscribe link, so it is rendered once
with a marker where that link goes, and each message replaces the marker. The marker is a character
from Unicode's private-use area, which no template escapes and no headline carries.
"""

from dataclasses import dataclass

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from articles.sanitize import sanitize_body

from .models import Edition, Subscription, absolute_url

UNSUBSCRIBE_MARK = "\ue000unsubscribe\ue000"
EMAIL_IMAGE_WIDTH = 640  # the email's column; renditions this wide (or the nearest below) are linked

_inliner = css_inline.CSSInliner(keep_style_tags=True)  # the dark-mode @media rules stay in <style>


@dataclass(frozen=True)
class RenderedEdition:
    subject: str
    html: str
    text: str


def email_image(image) -> dict | None:
    """The absolute URL, size and alt text of an image's existing rendition for the email's column."""
    if image is None:
        return None
    renditions = image.renditions(image.fallback_extension)  # JPEG/PNG: every mail client shows them
    if not renditions:
        return None
    fitting = [r for r in renditions if r.width <= EMAIL_IMAGE_WIDTH] or [renditions[0]]
    chosen = fitting[-1]
    url = chosen.url if "://" in chosen.url else absolute_url(chosen.url)
    return {"url": url, "width": chosen.width, "height": chosen.height, "alt": image.alt_text}


def edition_context(edition: Edition, *, unsubscribe_url: str = UNSUBSCRIBE_MARK) -> dict:
    items = list(edition.items.select_related("article__section", "article__lead_image").order_by("order", "pk"))
    stories = [
        {
            "headline": item.article.headline,
            "kicker": item.article.kicker,
            "section": item.article.section.name,
            "summary": item.summary,
            "url": absolute_url(item.article.get_absolute_url()),
            "image": email_image(item.article.lead_image),
        }
        for item in items
    ]
    preheader = edition.preheader or (stories[0]["summary"] if stories else "")
    return {
        "edition": edition,
        "newsletter": edition.newsletter,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "subject": edition.subject,
        "preheader": preheader,
        "intro": mark_safe(sanitize_body(edition.intro or "")),  # noqa: S308 (sanitised with the body allow-list)
        "stories": stories,
        "web_url": absolute_url(edition.get_absolute_url()),
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
