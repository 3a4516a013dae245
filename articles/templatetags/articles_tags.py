import json
from html import unescape

from django import template
from django.templatetags.static import static
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timezone import template_localtime

from newsroom.fragments import Plan
from newsroom.text import xml_safe

from ..blocks import words_of
from ..dependencies import card_part

register = template.Library()
register.filter("xml_safe", xml_safe)  # a text without the characters XML 1.0 cannot carry

DEFAULT_SIZES = "(min-width: 48rem) 46rem, 100vw"


def _srcset(renditions):
    return ", ".join(f"{r.url} {r.width}w" for r in renditions)


@register.simple_tag
def picture(image, sizes=DEFAULT_SIZES, lazy=True, css_class="", alt=None):
    """A responsive <picture>: WebP renditions with a JPEG/PNG fallback, width and height set; the library's alt
    text unless the page gives its own."""
    if image is None:
        return ""
    webp = image.renditions("webp")
    fallback = image.renditions(image.fallback_extension)
    if not fallback:
        return ""
    default = next((r for r in fallback if r.width >= 640), fallback[-1])
    loading = mark_safe('loading="lazy" decoding="async"' if lazy else 'fetchpriority="high" decoding="async"')
    # Before a worker has made the WebP renditions, the fallback (or the original) stands alone.
    webp_source = format_html('<source type="image/webp" srcset="{}" sizes="{}">', _srcset(webp), sizes) if webp else ""
    return format_html(
        '<picture{}>{}<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" {}></picture>',
        format_html(' class="{}"', css_class) if css_class else "",
        webp_source,
        default.url,
        _srcset(fallback),
        sizes,
        default.width,
        default.height,
        image.alt_text if alt is None else alt,
        loading,
    )


CARD_TEMPLATE = "includes/article_card.html"
# The lead story's picture spans the page's main column; the others, a column of the card grid.
CARD_PICTURE_SIZES = {
    True: "(min-width: 60rem) 40rem, 100vw",
    False: "(min-width: 60rem) 20rem, (min-width: 40rem) 50vw, 100vw",
}


@register.simple_tag(takes_context=True)
def article_card(context, card, featured=False, heading_level=""):
    """`{% article_card card featured=… heading_level=… %}`: an article's card, as its cached part if the page's
    `fragments` (articles/views.py `plan_cards`) has it, or else made from includes/article_card.html and kept.

    The card's template sees only what the card shows, as plain values worked out here at once: a page of
    dozens of cards spends far less than it did including the template with the whole page's context and
    looking up each model attribute, address and date in the template."""
    name = card_part(card, featured, heading_level)
    parts = context.get("fragments")
    if isinstance(parts, Plan) and (found := parts.found(name)) is not None:
        return mark_safe(found)  # noqa: S308 (rendered from our template: escaped)
    card_template = context.render_context.get(CARD_TEMPLATE)
    if card_template is None:  # looked up once for each page
        card_template = context.render_context[CARD_TEMPLATE] = context.template.engine.get_template(CARD_TEMPLATE)
    values = card_context(card, featured, heading_level)
    html = card_template.render(template.Context(values, autoescape=context.autoescape))
    if isinstance(parts, Plan):
        parts.made(name, html)
    return html


def card_context(card, featured, heading_level) -> dict:
    """What an article's card shows. Its bylines are `card_bylines` if the view loaded them so (articles/views.py
    `plan_cards`), or else its prefetched bylines."""
    published = template_localtime(card.published_at)  # in the site's time zone, as the |date filter has it
    bylines = getattr(card, "card_bylines", None)
    if bylines is None:
        bylines = [(byline.author.get_absolute_url(), byline.author.name) for byline in card.bylines.all()]
    else:
        bylines = [(byline.url, byline.name) for byline in bylines]
    return {
        "featured": featured,
        "heading_level": heading_level,
        "url": card.get_absolute_url(),
        "image": card.lead_image,
        # The lead story's picture is the page's largest: fetched at once, not when scrolled to.
        "picture": picture(card.lead_image, sizes=CARD_PICTURE_SIZES[bool(featured)], lazy=not featured),
        "kicker": card.kicker,
        "headline": card.headline,
        "standfirst": card.standfirst,
        "section_url": card.section.get_absolute_url(),
        "section_name": card.section.name,
        # As the |date filter writes them ("c" is the ISO 8601 form), without its search of the locale's
        # formats for one of these names.
        "published_iso": published.isoformat(),
        "published": dateformat.format(published, "j M Y"),
        "bylines": bylines,
    }


_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _absolute(request, url: str) -> str:
    return url if "://" in url else request.build_absolute_uri(url)


def share_image(image):
    """The rendition closest to 1200 pixels wide, for link previews in social networks."""
    if image is None:
        return None
    renditions = image.renditions(image.fallback_extension)
    return min(renditions, key=lambda r: abs(r.width - 1200)) if renditions else None


@register.simple_tag(takes_context=True)
def article_share_meta(context, article):
    """OpenGraph and Twitter card tags for an article page."""
    request = context["request"]
    url = request.build_absolute_uri(article.get_absolute_url())
    tags = [
        ("property", "og:type", "article"),
        ("property", "og:site_name", context.get("site_name", "")),
        ("property", "og:title", article.headline),
        ("property", "og:description", article.description),
        ("property", "og:url", url),
        ("property", "article:published_time", article.published_at.isoformat() if article.published_at else ""),
        ("property", "article:modified_time", article.last_updated_at.isoformat() if article.last_updated_at else ""),
        ("property", "article:section", article.section.name),
        *(("property", "article:tag", tag.name) for tag in article.tags.all()),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", article.headline),
        ("name", "twitter:description", article.description),
    ]
    if picture := share_image(article.lead_image):
        image_url = _absolute(request, picture.url)
        tags += [
            ("property", "og:image", image_url),
            ("property", "og:image:width", str(picture.width)),
            ("property", "og:image:height", str(picture.height)),
            ("property", "og:image:alt", article.lead_image.alt_text),
            ("name", "twitter:image", image_url),
        ]
    return format_html_join("\n  ", '<meta {}="{}" content="{}">', (t for t in tags if t[2]))


def _live_blog_posting(request, url: str, live_blog, updates) -> dict:
    """schema.org LiveBlogPosting: the coverage's times and each update, newest first."""
    return {
        "@type": "LiveBlogPosting",
        "coverageStartTime": live_blog.opened_at.isoformat(),
        "coverageEndTime": live_blog.closed_at.isoformat() if live_blog.closed_at else None,
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "@id": f"{url}#update-{update.pk}",
                "url": f"{url}#update-{update.pk}",
                "headline": update.headline or Truncator(plain_text(update.body)).words(12),
                "articleBody": plain_text(update.body),
                "datePublished": update.published_at.isoformat(),
                "dateModified": update.updated_at.isoformat(),
                "author": {
                    "@type": "Person",
                    "name": update.author.name,
                    "url": request.build_absolute_uri(update.author.get_absolute_url()),
                },
            }
            for update in updates
        ],
    }


def plain_text(html: str) -> str:
    """A text's words as a machine reads them: cells and lines kept apart, fact box titles and table captions in."""
    return " ".join(unescape(words_of(html)).split())


@register.simple_tag(takes_context=True)
def article_json_ld(context, article):
    """schema.org NewsArticle, with authors, publisher and each correction."""
    request = context["request"]
    url = request.build_absolute_uri(article.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.description,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.last_updated_at.isoformat() if article.last_updated_at else None,
        "articleSection": article.section.name,
        "keywords": [tag.name for tag in article.tags.all()],
        "author": [
            {
                "@type": "Person",
                "name": byline.author.name,
                "url": request.build_absolute_uri(byline.author.get_absolute_url()),
                **({"jobTitle": byline.author.job_title} if byline.author.job_title else {}),
            }
            for byline in article.bylines.all()
        ],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": context.get("site_name", ""),
            "url": request.build_absolute_uri("/"),
            "logo": {"@type": "ImageObject", "url": request.build_absolute_uri(static("favicon.svg"))},
        },
        "correction": [
            {
                "@type": "CorrectionComment",
                "text": correction.text,
                "datePublished": correction.published_at.isoformat(),
            }
            for correction in article.corrections.all()
        ],
    }
    if picture := share_image(article.lead_image):
        data["image"] = [_absolute(request, picture.url)]
    if live_blog := context.get("live_blog"):
        data.update(_live_blog_posting(request, url, live_blog, context.get("live_updates", [])))
    text = json.dumps({k: v for k, v in data.items() if v not in (None, [])}, ensure_ascii=False)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text.translate(_JSON_ESCAPES)))
