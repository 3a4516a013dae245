import html
import json
from html import unescape

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils import dateformat
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import get_current_timezone, localtime

from newsroom.fragments import Plan
from newsroom.text import xml_safe

from ..blocks import words_of
from ..dependencies import card_part

register = template.Library()
register.filter("xml_safe", xml_safe)  # a text without the characters XML 1.0 cannot carry

DEFAULT_SIZES = "(min-width: 48rem) 46rem, 100vw"


def _escaped(value) -> str:
    """What `conditional_escape` gives, without the lazy-string wrapper around Django's `escape`: what is safe
    already as it is, the rest (a lazy string made a string first) through `html.escape`, as `escape` does."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def fill(markup: str, *args, **kwargs) -> SafeString:
    """`format_html` for the markup made many times a page (cards, pictures): the same escaping and result,
    without the lazy-string checks that made up much of its cost on the front page's 55 cards."""
    return SafeString(markup.format(*(_escaped(v) for v in args), **{k: _escaped(v) for k, v in kwargs.items()}))


def _srcset(renditions):
    return ", ".join(f"{r.url} {r.width}w" for r in renditions)


LAZY, EAGER = mark_safe('loading="lazy" decoding="async"'), mark_safe('fetchpriority="high" decoding="async"')


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
    loading = LAZY if lazy else EAGER
    # Before a worker has made the WebP renditions, the fallback (or the original) stands alone.
    webp_source = fill('<source type="image/webp" srcset="{}" sizes="{}">', _srcset(webp), sizes) if webp else ""
    return fill(
        '<picture{}>{}<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" {}></picture>',
        fill(' class="{}"', css_class) if css_class else "",
        webp_source,
        default.url,
        _srcset(fallback),
        sizes,
        default.width,
        default.height,
        image.alt_text if alt is None else alt,
        loading,
    )


# The lead story's picture spans the page's main column; the others, a column of the card grid.
CARD_PICTURE_SIZES = {
    True: "(min-width: 60rem) 40rem, 100vw",
    False: "(min-width: 60rem) 20rem, (min-width: 40rem) 50vw, 100vw",
}

# An article's card. Written here rather than in a template: the front page shows 55 of them, and the template
# engine spent several times as long on each card as filling in this markup does.
CARD_HTML = """<article class="card{lead}">
  {picture}
  <div class="card__text">
    {kicker}
    <{h} class="card__headline{headline_lead}"><a href="{url}">{headline}</a></{h}>
    <p class="standfirst">{standfirst}</p>
    <p class="card__meta"><a href="{section_url}">{section_name}</a> · <time datetime="{iso}">{date}</time>{bylines}</p>
  </div>
</article>
"""
CARD_PICTURE_HTML = '<a href="{}" tabindex="-1" aria-hidden="true">{}</a>'
CARD_KICKER_HTML = '<p class="kicker">{}</p>'
CARD_BYLINE_HTML = '<a href="{}">{}</a>'
# The lead story's card, and the others' (safe as they are: no escaping to do).
CARD_CLASS = {True: mark_safe(" card--lead"), False: mark_safe("")}
HEADLINE_CLASS = {True: mark_safe(" card__headline--lead"), False: mark_safe("")}
HEADING = {True: mark_safe("h2"), False: mark_safe("h3")}
NOTHING = mark_safe("")


class PageOfCards:
    """What the cards of one page share, worked out once for the page: the time zone their dates are shown in,
    each day as it is written, and their sections' addresses."""

    def __init__(self):
        self.timezone = get_current_timezone()
        self.days: dict = {}
        self.section_urls: dict = {}  # by section id

    def section_url(self, section) -> str:
        if (url := self.section_urls.get(section.pk)) is None:
            url = self.section_urls[section.pk] = section.get_absolute_url()
        return url

    def dates(self, moment) -> tuple[str, str]:
        """The moment in the ISO 8601 form, and its day as readers read it: as `|date:"c"` and `|date:"j M Y"`
        write them in the site's time zone."""
        local = localtime(moment, self.timezone) if settings.USE_TZ else moment
        day = local.date()
        if (written := self.days.get(day)) is None:
            written = self.days[day] = dateformat.format(local, "j M Y")
        return local.isoformat(), written


@register.simple_tag(takes_context=True)
def article_card(context, card, featured=False, heading_level=""):
    """`{% article_card card featured=… heading_level=… %}`: an article's card, as its cached part if the page's
    `fragments` (articles/views.py `plan_cards`) has it, or else made and kept. Its bylines are `card_bylines`
    if the view loaded them so (articles/views.py `plan_cards`), or else its prefetched bylines."""
    name = card_part(card, featured, heading_level)
    parts = context.get("fragments")
    if isinstance(parts, Plan) and (found := parts.found(name)) is not None:
        return mark_safe(found)  # noqa: S308 (made by card_html below: escaped)
    page = context.render_context.get(PageOfCards)
    if page is None:
        page = context.render_context[PageOfCards] = PageOfCards()
    html = card_html(page, card, featured, heading_level)
    if isinstance(parts, Plan):
        parts.made(name, html)
    return html


def card_html(page: PageOfCards, card, featured, heading_level) -> str:
    featured = bool(featured)
    url = conditional_escape(card.get_absolute_url())  # shown twice: escaped once
    bylines = getattr(card, "card_bylines", None)
    if bylines is None:
        bylines = [(byline.author.get_absolute_url(), byline.author.name) for byline in card.bylines.all()]
    else:
        bylines = [(byline.url, byline.name) for byline in bylines]
    image = NOTHING
    if card.lead_image:
        # The lead story's picture is the page's largest: fetched at once, not when scrolled to.
        image = picture(card.lead_image, sizes=CARD_PICTURE_SIZES[featured], lazy=not featured)
        image = fill(CARD_PICTURE_HTML, url, image)
    iso, date = page.dates(card.published_at)
    return fill(
        CARD_HTML,
        lead=CARD_CLASS[featured],
        picture=image,
        kicker=fill(CARD_KICKER_HTML, card.kicker) if card.kicker else NOTHING,
        h=HEADING[featured or heading_level == 2],
        headline_lead=HEADLINE_CLASS[featured],
        url=url,
        headline=card.headline,
        standfirst=card.standfirst,
        section_url=page.section_url(card.section),
        section_name=card.section.name,
        iso=iso,
        date=date,
        bylines=fill(" · {}", SafeString(", ".join(fill(CARD_BYLINE_HTML, *byline) for byline in bylines)))
        if bylines
        else NOTHING,
    )


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
