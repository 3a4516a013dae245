"""Every text an editor, a journalist or a reader can give us, filled with cross-site scripting payloads
(tests/xss_payloads.py) through the real write paths, then the pages that show it opened in the real browser:
nothing may run.

Three checks on every page, so that one layer's slip is not hidden by another:
- the browser enforces the site's Content-Security-Policy, and any violation fails the test (tests/e2e/conftest.py);
- a canary, installed before any page's own code, records every payload that runs (each names itself:
  `alert(id)`, `window.__xss = id`), and every dialog is recorded and dismissed;
- the markup, as the server sent it (Python's HTML parser) and as the browser built it (a DOM walk), holds no
  handler attribute, script, frame, `javascript:` address or the like that is not our own.
Emails and feed entries have no policy of ours, so they are shown in a page without one; so are a few of the
densest pages, to show that escaping and sanitising hold by themselves. `test_the_sweep_sees_payloads_that_get_
through` shows each check catching the payloads rendered raw. The browser's CSP reports nothing anywhere: a refused
form shows its body sanitised, as it would be saved, and feeds and sitemaps let the browser's XML viewer style them.

Every storable payload lands in every field kind, wherever it fits the field's length. Small fields (a kicker holds
60 characters, a section's name 80) need many records: the articles that carry only plain-text fields are written
with the model's `full_clean()` and the admin's own save service (`article_save`), everything else through the
admin's forms. So that the sweep stays within a few minutes, the long texts (bodies, bios, descriptions) are dealt
among the first few records of a kind, and of the pages of one kind (author, section, tag, speaker, standing page,
edition) those are opened, while every record's short texts are on the pages opened: in the navigation, footer,
sign-up form, bylines, pull quotes, cards and archives.
"""

import datetime
import json
import re
from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import cycle, islice
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from playwright.sync_api import BrowserContext, Page
from reversion.models import Version
from taggit.models import Tag
from taggit.utils import parse_tags

from articles.models import Article, Author, Byline, Correction, Figure, Image, Quote, Section
from articles.services import article_save
from articles.tagging import tag_slug
from newsletter.models import Edition, EditionItem, Newsletter, Subscription, Suppression
from newsletter.rendering import edition_render
from newsroom.text import NOT_ON_ONE_LINE, one_line
from pages.models import Page as StandingPage
from tests.admin_forms import inline_management
from tests.e2e.conftest import CSP_LISTENER
from tests.factories import ArticleFactory, image_bytes
from tests.xss_payloads import PAYLOADS, STORABLE, TEMPLATE_TELLTALES

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
TEXTS = [payload.text for payload in STORABLE]
# A one-line field (a headline, an email's subject) refuses a line break or control character (newsroom/text.py).
ONE_LINE = [text for text in TEXTS if not NOT_ON_ONE_LINE.search(text)]
FULL_ARTICLES = 8  # through the admin's form, with body, tags, figures, quotes and corrections
OPENED = 6  # of the records of one kind whose own pages are opened (their long texts dealt among them)
TABS = 3  # pages loading side by side

# --- Where each payload goes -------------------------------------------------------------------------------


def pack(texts: list[str], limit: int) -> list[str]:
    """The texts in as few values of at most `limit` characters as first-fit packing gives, each text whole. A
    value starts and ends with '~', so that trimming it keeps a payload's own leading and trailing characters."""
    bins: list[list[str]] = []
    room = limit - 2
    for text in sorted((t for t in texts if len(t) <= room), key=len, reverse=True):
        for chosen in bins:
            if sum(len(t) + 1 for t in chosen) + len(text) <= room:
                chosen.append(text)
                break
        else:
            bins.append([text])
    return [f"~{' '.join(chosen)}~" for chosen in bins]


def deal(texts: list[str], among: int, count: int | None = None, rest: str = "") -> list[str]:
    """`count` values: the texts dealt in turn among the first `among` (between '~', as `pack` does), `rest` for
    the others."""
    dealt = [f"~{' '.join(texts[start::among])}~" for start in range(among)]
    return dealt + [rest] * ((count or among) - among)


def spread(values: list[str], count: int) -> list[str]:
    """`count` values, repeating the given ones from the start once they run out (no field is left empty)."""
    return list(islice(cycle(values), count))


def as_tags(text: str) -> list[str]:
    """The tags a journalist typing this gets: the text itself when it can be one tag, else the pieces taggit
    makes of it that can be (a tag needs a letter or digit and at most 100 characters)."""
    pieces = [text.strip()] if '"' not in text else parse_tags(text)
    return [p for p in pieces if p and '"' not in p and len(p) <= 100 and tag_slug(p)]


def quoted_address(text: str) -> str:
    """An email address whose quoted local part is the text, backslash-escaped where it must be: Django's
    validator accepts it, so a sign-up stores it. Characters an address cannot carry, and control characters
    (refused in any address), are dropped."""
    kept = (c for c in text if 0x20 <= ord(c) < 0x7F)
    return '"' + "".join("\\" + c if c in '"\\ ' else c for c in kept) + '"@example.com'


def body_html(texts: str, paragraphs: int = 2) -> str:
    """A body: paragraphs of our own (figures and quotes are placed after them), the payloads as they are, the
    same again in a paragraph of their own, and as the words the story blocks keep in attributes (a fact box's
    title, a table's caption; texts without them drop the blocks' markup and keep the words)."""
    ours = "".join(f"<p>Paragraph {n} of the report.</p>" for n in range(paragraphs))
    words = escape(texts)
    blocks = (
        f'<aside class="factbox" data-title="{words}"><p>{texts}</p></aside>'
        f'<table data-caption="{words}"><tbody><tr><th><p>{texts}</p></th></tr><tr><td><p>{texts}</p></td></tr>'
        "</tbody></table>"
    )
    return f"{ours}{texts}<p>{texts}</p>{blocks}"


# --- Writing them through the admin and the sign-up form ----------------------------------------------------


def posted(client: Client, url: str, data: dict, **kwargs):
    """POST an admin form and insist it was saved (a redirect); else show the form's errors."""
    response = client.post(url, data, **kwargs)
    if response.status_code != 302:
        context = response.context or {}
        errors = [context["adminform"].form.errors] if "adminform" in context else []
        errors += [
            (inline.formset.prefix, inline.formset.errors, inline.formset.non_form_errors())
            for inline in context.get("inline_admin_formsets", [])
            if any(inline.formset.errors) or inline.formset.non_form_errors()
        ]
        raise AssertionError(f"{url} was not saved ({response.status_code}): {errors}")
    return response


@dataclass
class Seeded:
    articles: list[Article]
    authors: list[Author]
    sections: list[Section]
    images: list[Image]
    pages: list[StandingPage]
    newsletters: list[Newsletter]
    editions: list[Edition]
    subscriptions: list[Subscription]
    imported: list[Subscription]
    client: Client  # signed in as the superuser


def seed_sections(client) -> list[Section]:
    names = pack(ONE_LINE, 80)
    descriptions = deal(TEXTS, OPENED, len(names))
    for index, name in enumerate(names):
        data = {"name": name, "slug": f"xss-{index}", "description": descriptions[index], "order": str(index)}
        posted(client, "/admin/articles/section/add/", data)
    return list(Section.objects.filter(slug__startswith="xss-").order_by("order"))


def seed_authors(client) -> list[Author]:
    names = pack(ONE_LINE, 120)
    jobs = names[len(names) // 2 :] + names[: len(names) // 2]
    bios = deal(TEXTS, OPENED, len(names))
    for index, name in enumerate(names):
        data = {"name": name, "slug": f"xss-{index}", "job_title": jobs[index], "bio": bios[index]}
        posted(client, "/admin/articles/author/add/", data)
    return list(Author.objects.filter(slug__startswith="xss-").order_by("pk"))


def seed_images(client) -> list[Image]:
    credits = pack(TEXTS, 120)
    alts, captions = spread(pack(TEXTS, 250), len(credits)), spread(pack(TEXTS, 300), len(credits))
    for index, credit in enumerate(credits):
        picture = SimpleUploadedFile(f"xss-{index}.png", image_bytes("PNG", size=(48, 32)), content_type="image/png")
        data = {"file": picture, "alt_text": alts[index], "caption": captions[index], "credit": credit}
        posted(client, "/admin/articles/image/add/", data)
    return list(Image.objects.order_by("pk"))


def seed_articles(client, user, sections, authors, images) -> list[Article]:
    """The first FULL_ARTICLES through the admin's add form, with everything an article holds; then as many
    as the smallest field (the kicker) needs to take every payload, with their plain-text fields."""
    small = {
        "kicker": pack(ONE_LINE, 60),
        "headline": pack(ONE_LINE, 200),
        "standfirst": pack(TEXTS, 400),
        "key_points": pack(ONE_LINE, 250),  # one a line: each value here is one point
        "meta_description": pack(TEXTS, 300),
        "lead_image_caption": pack(TEXTS, 300),
        "lead_image_credit": pack(TEXTS, 120),
    }
    count = max(FULL_ARTICLES, *(len(values) for values in small.values()))
    small = {name: spread(values, count) for name, values in small.items()}
    # Each full article has pull quotes, figures with a caption and credit of their own, and as many showing their
    # image's own: as many as the smallest of their fields (120 characters) needs to take every payload.
    per = -(-len(pack(TEXTS, 120)) // FULL_ARTICLES)
    rows = FULL_ARTICLES * per
    names, roles = spread(pack(TEXTS, 120), rows), spread(pack(TEXTS, 160), rows)
    quotes, captions, credits = (
        spread(pack(TEXTS, 600), rows),
        spread(pack(TEXTS, 300), rows),
        spread(pack(TEXTS, 120), rows),
    )
    corrections, bodies = spread(pack(TEXTS, 1000), FULL_ARTICLES), deal(TEXTS, FULL_ARTICLES)
    published = timezone.localtime(timezone.now() - datetime.timedelta(hours=3))
    day, at = published.strftime("%Y-%m-%d"), published.strftime("%H:%M:%S")

    for index in range(FULL_ARTICLES):
        tags = [tag for text in TEXTS[index::FULL_ARTICLES] for tag in as_tags(text)]
        data = {
            **{name: values[index] for name, values in small.items()},
            "slug": f"xss-{index}",
            "body": body_html(bodies[index], paragraphs=per),
            "section": sections[index % len(sections)].pk,
            "tags": ", ".join(f'"{tag}"' for tag in tags),
            "lead_image": images[index % len(images)].pk,
            "status": "published",
            "published_at_0": day,
            "published_at_1": at,
            **inline_management(bylines=2, figures=2 * per, quotes=per, corrections=1),
            "bylines-0-author": authors[index % len(authors)].pk,
            "bylines-0-order": "0",
            "bylines-1-author": authors[(index + len(authors) // 2) % len(authors)].pk,
            "bylines-1-order": "1",
            "corrections-0-published_at_0": day,
            "corrections-0-published_at_1": at,
            "corrections-0-text": corrections[index],
        }
        for n, row in enumerate(range(index * per, (index + 1) * per)):
            data |= {
                f"quotes-{n}-text": quotes[row],
                f"quotes-{n}-speaker_name": names[row],
                f"quotes-{n}-speaker_role": roles[row],
                f"quotes-{n}-position": str(n),
                f"figures-{n}-image": images[row % len(images)].pk,
                f"figures-{n}-caption": captions[row],
                f"figures-{n}-credit": credits[row],
                f"figures-{n}-position": str(n + 1),
                f"figures-{per + n}-image": images[(row + len(images) // 2) % len(images)].pk,
                f"figures-{per + n}-position": str(n + 1),
            }
        posted(client, "/admin/articles/article/add/", data)

    for index in range(FULL_ARTICLES, count):
        article = Article(
            **{name: values[index] for name, values in small.items()},
            slug=f"xss-{index}",
            section=sections[index % len(sections)],
            lead_image=images[index % len(images)],
            status=Article.Status.PUBLISHED,
            published_at=published - datetime.timedelta(minutes=index),
        )
        article.full_clean()
        article_save(article=article, user=user, expected_version=None)
        Byline.objects.create(article=article, author=authors[index % len(authors)])
    return list(Article.objects.filter(slug__startswith="xss-").order_by("pk"))


def edit_articles(client, articles: list[Article]):
    """A second version of a few articles, their texts moved round, so that the history's restore page shows
    payloads then and now."""
    for article in articles:
        form = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
        version = re.search(r'name="opened_version" value="(\d+)"', form).group(1)
        published = timezone.localtime(article.published_at)
        data = {
            "kicker": article.kicker,
            "headline": one_line(article.standfirst)[:200],
            "slug": article.slug,
            "standfirst": article.headline,
            "key_points": article.key_points,
            "body": article.body + f"<p>{article.kicker}</p>",
            "section": article.section_id,
            "tags": ", ".join(f'"{name}"' for name in article.tags.names()),
            "lead_image": article.lead_image_id,
            "lead_image_caption": article.lead_image_credit,
            "lead_image_credit": article.lead_image_caption[:120],
            "meta_description": article.meta_description,
            "status": article.status,
            "published_at_0": published.strftime("%Y-%m-%d"),
            "published_at_1": published.strftime("%H:%M:%S"),
            "opened_version": version,
            **inline_management(),
        }
        posted(client, f"/admin/articles/article/{article.pk}/change/", data)


def seed_pages(client) -> list[StandingPage]:
    titles = pack(ONE_LINE, 120)
    bodies = deal(TEXTS, OPENED, len(titles), rest="Who we are.")
    descriptions = spread(pack(TEXTS, 300), len(titles))
    for index, title in enumerate(titles):
        data = {
            "title": title,
            "slug": f"xss-{index}",
            "body": body_html(bodies[index]),
            "description": descriptions[index],
            "in_footer": "on",
            "order": str(index),
        }
        posted(client, "/admin/pages/page/add/", data)
    return list(StandingPage.objects.filter(slug__startswith="xss-").order_by("order"))


def seed_newsletters(client) -> list[Newsletter]:
    """Their names are in every page's sign-up form; their descriptions on the sign-up and preferences pages."""
    names = pack(ONE_LINE, 120)
    descriptions = deal(TEXTS, len(names))
    for index, name in enumerate(names):
        data = {
            "name": name,
            "slug": f"xss-{index}",
            "description": descriptions[index],
            "items_per_edition": "10",
            "send_time": "07:00",
        }
        posted(client, "/admin/newsletter/newsletter/add/", data)
    return list(Newsletter.objects.filter(slug__startswith="xss-").order_by("pk"))


def seed_signups(client) -> list[Subscription]:
    """Readers sign up with addresses made of payloads, from pages whose addresses hold more of them, in browsers
    that call themselves by more (the admin shows the user agent); two confirm, so that editions go out."""
    addresses = pack([t for t in TEXTS if len(quoted_address(t)) < 200], 200)
    sources = spread(pack(TEXTS, 499), len(addresses))
    agents = spread(pack([t for t in TEXTS if not re.search(r"[\x00-\x1f\x7f]", t)], 500), len(addresses))
    for address, source, agent in zip(addresses, sources, agents, strict=True):
        data = {"email": quoted_address(address), "source": "/" + source}
        response = client.post("/newsletter/", data, HTTP_SEC_FETCH_SITE="same-origin", HTTP_USER_AGENT=agent)
        assert response.status_code == 302, (address, response.status_code)
    subscriptions = list(Subscription.objects.select_related("subscriber", "newsletter").order_by("pk"))
    assert len(subscriptions) == len(addresses)
    for subscription, agent in zip(subscriptions[:2], reversed(agents), strict=False):
        token = re.search(r"/newsletter/confirm/([^/]+)/", subscription.confirm_url()).group(1)
        assert client.post(f"/newsletter/confirm/{token}/", HTTP_USER_AGENT=agent).status_code == 200
    return subscriptions


def seed_audience_work(client) -> list[Subscription]:
    """What audience staff type: why an address is suppressed, and how imported readers consented."""
    for index, note in enumerate(pack(TEXTS, 500)):
        data = {"email": f"suppressed-{index}@example.com", "reason": "staff", "note": note}
        posted(client, "/admin/newsletter/suppression/add/", data)
    the_daily = Newsletter.objects.get(slug="the-daily")
    for index, note in enumerate(pack(TEXTS, 1000)):
        csv = SimpleUploadedFile("readers.csv", f"email\nimported-{index}@example.com\n".encode(), "text/csv")
        data = {"file": csv, "newsletter": the_daily.pk, "consent_note": note}
        response = client.post("/admin/newsletter/subscription/import/", data)
        assert response.status_code == 200 and "1</strong> subscription imported" in response.content.decode()
    return list(Subscription.objects.filter(subscriber__email__startswith="imported-").order_by("pk"))


def seed_editions(client, newsletters, articles) -> list[Edition]:
    """Editions of The Daily (to the readers who confirmed) and of a few payload newsletters, through the
    admin's form; all sent from the admin but the last, which stays a draft."""
    subjects = pack(ONE_LINE, 150)
    preheaders = spread(pack(ONE_LINE, 150), len(subjects))
    intros = deal(TEXTS, OPENED, len(subjects), rest="<p>Good morning.</p>")
    blurbs = spread(pack(TEXTS, 600), 2 * len(subjects))
    the_daily = Newsletter.objects.get(slug="the-daily")
    for index, subject in enumerate(subjects):
        data = {
            "newsletter": (the_daily if index < 3 else newsletters[index % 4]).pk,
            "issue_date": (timezone.localdate() - datetime.timedelta(days=index)).isoformat(),
            "subject": subject,
            "preheader": preheaders[index],
            "intro": body_html(intros[index]),
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
        }
        for n in range(2):
            data |= {
                f"items-{n}-article": articles[(index + n) % len(articles)].pk,
                f"items-{n}-order": str(n),
                f"items-{n}-blurb": blurbs[2 * index + n],
            }
        posted(client, "/admin/newsletter/edition/add/", data)
    for edition in list(Edition.objects.order_by("pk"))[:-1]:
        posted(client, f"/admin/newsletter/edition/{edition.pk}/send-now/", {})
    return list(Edition.objects.select_related("newsletter").order_by("pk"))


def seed(user) -> Seeded:
    client = Client()
    client.force_login(user)
    sections, authors, images = seed_sections(client), seed_authors(client), seed_images(client)
    articles = seed_articles(client, user, sections, authors, images)
    edit_articles(client, articles[:3])
    pages, newsletters = seed_pages(client), seed_newsletters(client)
    subscriptions, imported = seed_signups(client), seed_audience_work(client)
    editions = seed_editions(client, newsletters, articles)
    return Seeded(articles, authors, sections, images, pages, newsletters, editions, subscriptions, imported, client)


def assert_every_payload_stored():
    """Every storable payload is in every text field it fits (and nothing typed was lost on the way in)."""
    plain_text = {
        (Article, "kicker"): 60,
        (Article, "headline"): 200,
        (Article, "standfirst"): 400,
        (Article, "key_points"): 250,
        (Article, "meta_description"): 300,
        (Article, "lead_image_caption"): 300,
        (Article, "lead_image_credit"): 120,
        (Quote, "text"): 600,
        (Quote, "speaker_name"): 120,
        (Quote, "speaker_role"): 160,
        (Figure, "caption"): 300,
        (Figure, "credit"): 120,
        (Correction, "text"): 1000,
        (Image, "alt_text"): 250,
        (Image, "caption"): 300,
        (Image, "credit"): 120,
        (Author, "name"): 120,
        (Author, "job_title"): 120,
        (Author, "bio"): None,
        (Section, "name"): 80,
        (Section, "description"): None,
        (StandingPage, "title"): 120,
        (StandingPage, "description"): 300,
        (Newsletter, "name"): 120,
        (Newsletter, "description"): None,
        (Edition, "subject"): 150,
        (Edition, "preheader"): 150,
        (EditionItem, "blurb"): 600,
        (Subscription, "source"): 500,
        (Subscription, "consent_text"): 1000,
        (Suppression, "note"): 500,
    }
    one_line_fields = {
        (Article, "kicker"),
        (Article, "headline"),
        (Article, "key_points"),
        (Author, "name"),
        (Author, "job_title"),
        (Section, "name"),
        (StandingPage, "title"),
        (Newsletter, "name"),
        (Edition, "subject"),
        (Edition, "preheader"),
    }
    lost = {}
    for (model, name), limit in plain_text.items():
        stored = list(model.objects.values_list(name, flat=True))
        if one_line := (model, name) in one_line_fields:
            assert not any(NOT_ON_ONE_LINE.search(value) for value in stored), f"{model.__name__}.{name}"
        fits = [text for text in (ONE_LINE if one_line else TEXTS) if limit is None or len(text) <= limit - 2]
        lost[f"{model.__name__}.{name}"] = [text for text in fits if not any(text in value for value in stored)]
    agents = Subscription.objects.values_list("signup_user_agent", flat=True)
    lost["Subscription.signup_user_agent"] = [
        text for text in TEXTS if not re.search(r"[\x00-\x1f\x7f]", text) and not any(text in a for a in agents)
    ]
    names = set(Tag.objects.values_list("name", flat=True))
    lost["tags"] = [text for text in TEXTS if not set(as_tags(text)) <= names]
    lost = {name: texts for name, texts in lost.items() if texts}
    assert not lost, f"payloads not stored: {lost}"


# --- Checking what a page holds ---------------------------------------------------------------------------

#: Attributes whose value is an address (a `javascript:` one runs when followed or loaded).
URL_ATTRIBUTES = [
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "codebase", "cite",
    "values", "to", "from", "by", "srcset", "ping", "manifest", "lowsrc", "dynsrc",
]  # fmt: skip
#: Elements no page of ours has (the edition preview's sandboxed frame is looked at apart).
FOREIGN_ELEMENTS = [
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "math", "foreignobject", "animate", "set",
    "animatemotion", "animatetransform", "handler", "listener", "xmp", "plaintext", "marquee", "mglyph", "image",
    "portal", "fencedframe",
]  # fmt: skip
SCRIPTED_STYLE = r"javascript:|expression\s*\(|@import|behaviou?r\s*:|-moz-binding|__xss|alert\s*\("
JSON_TYPES = {"application/ld+json", "application/json", "importmap"}
JAVASCRIPT_CATALOG = "/admin/jsi18n/"  # the admin's translations, a script of Django's


def address(value: str) -> str:
    """An address as a browser's URL parser reads it: controls and spaces at either end, and tabs and newlines
    anywhere, do not count."""
    return re.sub(r"[\t\n\r]", "", value).strip("".join(map(chr, range(0x21)))).lower()


def is_preview_frame(attrs: dict[str, str]) -> bool:
    """The edition preview's frame: sandboxed, with neither scripts nor our origin."""
    sandbox = attrs.get("sandbox")
    return (
        attrs.get("class") == "edition-preview"
        and sandbox is not None
        and not {"allow-scripts", "allow-same-origin"} & set(sandbox.split())
    )


def attribute_problems(tag: str, attrs: dict[str, str]) -> list[str]:
    problems = []
    for name, value in attrs.items():
        if name.startswith("on"):
            problems.append(f"<{tag} {name}={value[:60]!r}>")
        elif name in URL_ATTRIBUTES or name.endswith(":href"):
            url = address(value)
            safe_image = tag == "img" and name == "src" and re.match(r"data:image/(png|gif|jpeg|webp);", url)
            if url.startswith(("javascript:", "vbscript:", "livescript:")) or (
                url.startswith("data:") and not safe_image
            ):
                problems.append(f"<{tag} {name}={value[:60]!r}>")
        elif name == "style" and re.search(SCRIPTED_STYLE, value, re.I):
            problems.append(f"<{tag} style={value[:60]!r}>")
        elif name == "srcdoc" and not (tag == "iframe" and is_preview_frame(attrs)):
            problems.append(f"<{tag} srcdoc=…>")
    return problems


def script_problems(attrs: dict[str, str], text: str, nonce: str | None) -> list[str]:
    """A script is ours when it is a file of ours, JSON that parses, or an import map with the response's nonce."""
    kind = attrs.get("type", "").lower()
    if "src" in attrs:
        ours = attrs["src"].startswith("/static/") or attrs["src"] == JAVASCRIPT_CATALOG
        return [] if ours and not text.strip() else [f"<script src={attrs['src']!r}>"]
    if kind not in JSON_TYPES:
        return [f"<script>{text[:60]!r}"]
    if kind == "importmap" and not (nonce and attrs.get("nonce") == nonce):
        return [f"<script type=importmap> without the response's nonce: {text[:60]!r}"]
    try:
        json.loads(text)
    except ValueError:
        return [f"<script type={kind}> that is not JSON: {text[:80]!r}"]
    return []


class _Markup(HTMLParser):
    """What a served page holds that a payload would have brought, as a standards parser reads it."""

    def __init__(self, nonce: str | None):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self._open: tuple[str, dict] | None = None  # a script or style being read
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        self.problems += attribute_problems(tag, attrs)
        if tag in FOREIGN_ELEMENTS and not (tag == "iframe" and is_preview_frame(attrs)):
            self.problems.append(f"<{tag}> element")
        elif tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            if not re.fullmatch(r"\d+", attrs.get("content", "").strip()):
                self.problems.append(f"<meta http-equiv=refresh content={attrs.get('content')!r}>")
        elif tag == "link" and "stylesheet" in attrs.get("rel", "").lower().split():
            if not attrs.get("href", "").startswith("/static/"):
                self.problems.append(f"<link rel=stylesheet href={attrs.get('href')!r}>")
        elif tag in {"script", "style"}:
            self._open, self._text = (tag, attrs), []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style"}:
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if not self._open or self._open[0] != tag:
            return
        text = "".join(self._text)
        if tag == "script":
            self.problems += script_problems(self._open[1], text, self.nonce)
        elif re.search(SCRIPTED_STYLE, text, re.I):
            self.problems.append(f"<style>{text[:60]!r}")
        self._open = None


def markup_problems(html: str, nonce: str | None = None) -> list[str]:
    """What a payload left in a page's markup: elements and attributes that run code, and template output."""
    parser = _Markup(nonce)
    parser.feed(html)
    parser.close()
    telltales = [*TEMPLATE_TELLTALES, settings.SECRET_KEY]
    return parser.problems + [f"template output {t[:20]!r}" for t in telltales if t in html]


# The same rules on what the browser built (it reads some markup differently from Python's parser).
DOM_PROBLEMS = """([nonce, urlAttributes, foreignElements, scriptedStyle, catalog]) => {
  const styleRule = new RegExp(scriptedStyle, "i");
  const problems = [];
  const describe = (el, name, value) => `<${el.localName} ${name}=${JSON.stringify(String(value).slice(0, 60))}>`;
  const address = (v) => v.replace(/[\\t\\n\\r]/g, "").replace(/^[\\x00-\\x20]+|[\\x00-\\x20]+$/g, "").toLowerCase();
  const isPreview = (el) => el.localName === "iframe" && el.classList.contains("edition-preview")
    && el.hasAttribute("sandbox") && !/allow-scripts|allow-same-origin/.test(el.getAttribute("sandbox"));
  const scan = (root) => {
    for (const el of root.querySelectorAll("*")) {
      const tag = el.localName.toLowerCase();
      for (const { name, value } of el.attributes) {
        if (name.startsWith("on")) problems.push(describe(el, name, value));
        else if (urlAttributes.includes(name) || name.endsWith(":href")) {
          const url = address(value);
          const safeImage = tag === "img" && name === "src" && /^data:image\\/(png|gif|jpeg|webp);/.test(url);
          if (/^(javascript|vbscript|livescript):/.test(url) || (url.startsWith("data:") && !safeImage)) {
            problems.push(describe(el, name, value));
          }
        } else if (name === "style" && styleRule.test(value)) problems.push(describe(el, name, value));
        else if (name === "srcdoc" && !isPreview(el)) problems.push(describe(el, name, "…"));
      }
      if (foreignElements.includes(tag) && !isPreview(el)) problems.push(`<${tag}> element`);
      const refresh = tag === "meta" && (el.getAttribute("http-equiv") || "").toLowerCase() === "refresh";
      if (refresh && !/^\\d+$/.test(el.content.trim())) problems.push(describe(el, "content", el.content));
      if (tag === "link" && el.relList.contains("stylesheet") && !el.href.startsWith(location.origin + "/static/")) {
        problems.push(describe(el, "href", el.href));
      }
      if (tag === "style" && styleRule.test(el.textContent)) problems.push(`<style>${el.textContent.slice(0, 60)}`);
      if (tag === "script") {
        const type = (el.getAttribute("type") || "").toLowerCase();
        if (el.hasAttribute("src")) {
          const ours = el.src.startsWith(location.origin + "/static/") || el.src === location.origin + catalog;
          if (!ours) problems.push(describe(el, "src", el.src));
        } else if (["application/ld+json", "application/json"].includes(type)) {
          try { JSON.parse(el.textContent); } catch (e) { problems.push(`<script type=${type}> that is not JSON`); }
        } else if (!(type === "importmap" && nonce && el.nonce === nonce)) {
          problems.push(`<script>${el.textContent.slice(0, 60)}`);
        }
      }
      if (el.shadowRoot) scan(el.shadowRoot);
    }
  };
  scan(document);
  for (const frame of document.querySelectorAll("iframe")) {
    try { if (frame.contentDocument) scan(frame.contentDocument); } catch (e) { /* another origin's */ }
  }
  return problems;
}"""

# Before any page's own code, in every frame: records every canary a payload calls; no dialog opens from these.
CANARY = """(() => {
  const report = (how, value) => { try { window.__xssReport(how, String(value), location.href); } catch (e) {} };
  let last;
  Object.defineProperty(window, "__xss", { configurable: false, get() { return last; },
    set(value) { last = value; report("window.__xss", value); } });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    Object.defineProperty(window, name, { configurable: false, writable: false,
      value: (message) => { report(name, message); return name === "confirm" ? false : null; } });
  }
})();"""

# Handlers a page's load sets off (autofocus, toggle, animations) fire within a frame or two of it.
SETTLED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 20))))"
# Pictures are not what is tested here, and a payload's own picture fails either way: none is fetched.
PICTURES = re.compile(r"\.(png|jpe?g|gif|webp|svg|ico|avif)(\?.*)?$|/media/", re.I)


def _nonce(policy: str) -> str | None:
    found = re.search(r"'nonce-([^']+)'", policy)
    return found.group(1) if found else None


class Sweep:
    """Opens pages in one browser context, a few side by side, and gathers what ran and what should not be
    there."""

    def __init__(self, context: BrowserContext, base: str, tabs: int = TABS):
        self.context, self.base = context, base
        self.ran: list[tuple] = []
        self.problems: list[str] = []
        self.opened: list[str] = []
        self.built: dict[str, list[str]] = {}  # what the DOM walk found, by page
        context.expose_function("__xssReport", lambda how, value, where: self.ran.append((how, value, where)))
        context.add_init_script(CANARY)
        context.route(PICTURES, lambda route: route.abort())
        self.tabs = [self.tab(context.new_page()) for _ in range(tabs)]

    def tab(self, page: Page) -> Page:
        """A page whose dialogs and windows are recorded."""
        page.on("dialog", lambda dialog: self._dialog(page, dialog))
        page.on("popup", lambda popup: self.ran.append(("window opened", popup.url, page.url)))
        return page

    def _dialog(self, page, dialog):
        self.ran.append((f"{dialog.type} dialog", dialog.message, page.url))
        dialog.dismiss()

    @property
    def page(self) -> Page:
        return self.tabs[0]

    def open(self, *paths: str, status: int | tuple = 200):
        """Open the pages (a few at once), let each settle, and check it as served and as built."""
        waiting, loading, free = deque(paths), deque(), list(self.tabs)
        allowed = status if isinstance(status, tuple) else (status,)
        while waiting or loading:
            while waiting and free:
                tab, path = free.pop(), waiting.popleft()
                loading.append((tab, path, tab.goto(self.base + path, wait_until="commit")))
            tab, path, response = loading.popleft()
            tab.wait_for_load_state("load")
            assert response is not None and response.status in allowed, f"{path}: {response and response.status}"
            self.check(tab, response.text(), response.headers, label=path)
            if tab.url != self.base + path:  # a refresh, or a script, took it elsewhere
                self.problems.append(f"{path}: the page went on to {tab.url}")
            free.append(tab)

    def open_document(self, label: str, html: str):
        """A document we hold (an email, a feed's entries), shown as a mail or feed reader shows it: in a page
        of no origin of ours, with no policy."""
        self.page.goto("about:blank")
        self.page.set_content(html, wait_until="load")
        self.check(self.page, html, {}, label=label)

    def check(self, tab: Page, raw: str | None, headers: dict, label: str):
        """Let the page settle, then look at it as served (if `raw`) and as built."""
        self.opened.append(label)
        tab.evaluate(SETTLED)
        nonce = _nonce(headers.get("content-security-policy", ""))
        built = tab.evaluate(
            DOM_PROBLEMS, [nonce, URL_ATTRIBUTES, FOREIGN_ELEMENTS, SCRIPTED_STYLE, JAVASCRIPT_CATALOG]
        )
        served = markup_problems(raw, nonce) if raw is not None else []
        self.built[label] = built
        self.problems += [f"{label}: {problem}" for problem in built + served]

    def assert_nothing_ran(self):
        self.page.wait_for_timeout(100)  # a canary's report crosses to us asynchronously
        assert not self.ran, f"payloads ran in the browser: {self.ran[:20]}"
        assert not self.problems, f"payload markup in {len(self.problems)} places: {self.problems[:20]}"


# tests/e2e/conftest.py's listener, also saying which script did what was blocked.
CSP_LISTENER_WITH_SOURCE = CSP_LISTENER.replace(
    "sample: event.sample,", "sample: event.sample, source: event.sourceFile,"
)


def staff_context(browser, base: str, csp_violations: list) -> BrowserContext:
    """A second context (its own cookies) for the back office, whose CSP violations fail the test as the first's do."""
    assert CSP_LISTENER_WITH_SOURCE != CSP_LISTENER
    context = browser.new_context(base_url=base)
    context.expose_function("__cspViolation", lambda violation: csp_violations.append(violation))
    context.add_init_script(CSP_LISTENER_WITH_SOURCE)
    return context


def log_in(page: Page, base: str, username: str):
    """Through the admin's real sign-in form."""
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/admin/(?!login)"))


@pytest.fixture
def chief(settings, live_server):
    """A superuser who signs in with a password (the second factor has tests of its own)."""
    settings.STAFF_2FA_REQUIRED = False
    settings.NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR = 10_000
    settings.SITE_URL = live_server.url
    return User.objects.create_superuser("chief", "chief@example.com", PASSWORD)


# --- Feeds and sitemaps --------------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def xml_entries(client: Client, path: str) -> list[str]:
    """A feed or sitemap must be well-formed XML with no markup element a payload brought into it; returns the
    feed's entries' HTML (RSS descriptions, Atom summaries), which feed readers render."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    text = response.content.decode()
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 (our own server's answer)
    except ElementTree.ParseError as error:
        raise AssertionError(f"{path} is not well-formed XML: {error}") from None
    strays = [el.tag for el in root.iter() if el.tag.lower() in {"script", "img", "svg", "iframe"} or "xhtml" in el.tag]
    assert not strays, f"{path} carries markup elements: {strays}"
    html = [el.text or "" for el in root.iter("description")][1:]  # the first is the channel's own
    html += [el.text or "" for el in root.iter(f"{ATOM}summary")]
    return html


def feed_document(entries: list[str]) -> str:
    return "<!doctype html><title>Feed</title>" + "".join(f"<article>{entry}</article>" for entry in entries)


# --- The sweeps -------------------------------------------------------------------------------------------------


def reader_paths(seeded: Seeded) -> list[str]:
    opened_tags = list(Tag.objects.order_by("pk").values_list("slug", flat=True)[:OPENED])
    speakers = list(Quote.objects.order_by("speaker_slug").values_list("speaker_slug", flat=True).distinct()[:OPENED])
    archives = [Newsletter.objects.get(slug="the-daily"), *seeded.newsletters[:4]]
    tokens = [subscription.link_token() for subscription in seeded.subscriptions[:3]]
    confirmations = [re.search(r"/newsletter/confirm/[^/]+/", s.confirm_url())[0] for s in seeded.subscriptions[2:4]]
    # Past these, articles differ only in their kicker, which the home page's cards show (checked below).
    carrying = max(len(pack(TEXTS, limit)) for limit in (200, 400, 300, 120))
    return [
        "/",
        *(article.get_absolute_url() for article in seeded.articles[:carrying]),
        *(section.get_absolute_url() for section in seeded.sections[:OPENED]),
        *(author.get_absolute_url() for author in seeded.authors[:OPENED]),
        *(f"/tags/{slug}/" for slug in opened_tags),
        *(f"/quotes/{slug}/" for slug in speakers),
        *(page.get_absolute_url() for page in seeded.pages[:OPENED]),
        "/newsletter/",
        *(f"/newsletter/{newsletter.slug}/archive/" for newsletter in archives),
        *(edition.get_absolute_url() for edition in seeded.editions[:OPENED]),
        *(f"/newsletter/preferences/{token}/" for token in tokens),
        f"/newsletter/unsubscribe/{tokens[2]}/",
        *confirmations,
        *(f"/search/?{urlencode({'q': q})}" for q in ["alert", "onerror script", "javascript", "svg onload"]),
    ]


def staff_paths(seeded: Seeded) -> list[str]:
    full = seeded.articles[:FULL_ARTICLES]
    edited = seeded.articles[:3]
    versions = [Version.objects.get_for_object(article).order_by("pk").first() for article in edited]
    draft, sent = seeded.editions[-1], seeded.editions[:2]
    some = slice(0, 2)
    return [
        "/admin/",
        "/admin/articles/article/",
        f"/admin/articles/article/?{urlencode({'q': 'alert'})}",
        *(f"/admin/articles/article/{article.pk}/change/" for article in full),
        *(f"/admin/articles/article/{a.pk}/history/" for a in edited),
        *(f"/admin/articles/article/{a.pk}/history/{v.pk}/" for a, v in zip(edited, versions, strict=True)),
        f"/admin/articles/article/{full[0].pk}/delete/",
        "/admin/articles/image/",
        *(f"/admin/articles/image/{image.pk}/change/" for image in seeded.images[some]),
        f"/admin/articles/image/{seeded.images[0].pk}/delete/",
        "/admin/articles/author/",
        *(f"/admin/articles/author/{author.pk}/change/" for author in seeded.authors[some]),
        "/admin/articles/section/",
        *(f"/admin/articles/section/{section.pk}/change/" for section in seeded.sections[some]),
        *(f"/admin/taggit/tag/?p={n}" for n in range(1, 2 + (Tag.objects.count() - 1) // 100)),
        "/admin/pages/page/",
        *(f"/admin/pages/page/{page.pk}/change/" for page in seeded.pages[some]),
        "/admin/newsletter/newsletter/",
        *(f"/admin/newsletter/newsletter/{newsletter.pk}/change/" for newsletter in seeded.newsletters[some]),
        "/admin/newsletter/edition/",
        *(f"/admin/newsletter/edition/{edition.pk}/change/" for edition in [draft, *sent]),
        *(f"/admin/newsletter/edition/{edition.pk}/preview/" for edition in [draft, *sent]),
        "/admin/newsletter/subscriber/",
        *(f"/admin/newsletter/subscriber/{s.subscriber_id}/change/" for s in seeded.subscriptions[some]),
        "/admin/newsletter/subscription/",
        *(f"/admin/newsletter/subscription/{s.pk}/change/" for s in [*seeded.subscriptions[some], seeded.imported[0]]),
        "/admin/newsletter/suppression/",
    ]


def test_payloads_written_by_the_newsroom_run_nowhere(live_server, browser, context, csp_violations, chief):
    base = live_server.url
    seeded = seed(chief)
    assert_every_payload_stored()

    # Readers' pages, as readers get them (not signed in: from the page cache where it applies).
    readers = Sweep(context, base)
    readers.open(*reader_paths(seeded))
    home = Client().get("/").content.decode()
    assert all(escape(article.kicker) in home for article in seeded.articles), "a kicker is not on the home page"

    # Feeds and sitemaps: well-formed, shown by the browser (feeds as text, sitemaps in its XML viewer), and the
    # feeds' entries' HTML as a feed reader shows it.
    client = Client()
    sitemaps = [
        f"/sitemap{name}.xml" for name in ["", "-news", "-articles", "-sections", "-tags", "-authors", "-pages"]
    ]
    feeds = ["/feeds/rss.xml", "/feeds/atom.xml", *(f"/sections/{s.slug}/feed/" for s in seeded.sections)]
    readers.open(*sitemaps, *feeds[: 2 + OPENED])
    for path in sitemaps:
        xml_entries(client, path)
    for path in feeds[:2]:
        readers.open_document(f"{path} entries", feed_document(xml_entries(client, path)))
    entries = [entry for path in feeds[2:] for entry in xml_entries(client, path)]
    readers.open_document("section feeds' entries", feed_document(entries))

    # Emails, as a mail client shows them: what the readers were sent (editions, confirmations) and the editions
    # as the admin renders them. Every one's markup is checked; a few of each kind are opened in the browser.
    emails = [(f"edition {e.pk} email", edition_render(e).html) for e in seeded.editions]
    for message in mail.outbox:
        [html] = [content for content, kind in message.alternatives if kind == "text/html"]
        emails.append((f"email {message.subject[:30]!r} to {message.to}", html))
    assert {m.subject for m in mail.outbox} >= {e.subject for e in seeded.editions[:3]}, "no edition went out"
    opened = {label for label, _ in emails[:OPENED]} | {label for label, _ in emails[-8:]}
    for label, html in emails:
        if label in opened:
            readers.open_document(label, html)
        else:
            readers.problems += [f"{label}: {problem}" for problem in markup_problems(html)]
    readers.assert_nothing_ran()

    # The back office, signed in through its form, in a context of its own.
    staff = Sweep(staff_context(browser, base, csp_violations), base)
    log_in(staff.page, base, "chief")
    staff.open(*staff_paths(seeded))
    use_the_article_form(staff, seeded.articles[0])
    for subscription in seeded.imported[1:]:  # their consent notes; the first was opened above
        html = seeded.client.get(f"/admin/newsletter/subscription/{subscription.pk}/change/").content.decode()
        staff.problems += [f"subscription {subscription.pk}: {problem}" for problem in markup_problems(html)]
    staff.assert_nothing_ran()
    staff.context.close()

    # The densest pages again with the policy out of the way: escaping and sanitising hold by themselves.
    unguarded = Sweep(browser.new_context(bypass_csp=True), base)
    full = seeded.articles[:FULL_ARTICLES]
    unguarded.open(
        "/", *(a.get_absolute_url() for a in full[:2]), "/newsletter/", seeded.editions[0].get_absolute_url()
    )
    log_in(unguarded.page, base, "chief")
    unguarded.open(
        f"/admin/articles/article/{full[0].pk}/change/", f"/admin/newsletter/edition/{seeded.editions[-1].pk}/preview/"
    )
    unguarded.assert_nothing_ran()
    unguarded.context.close()


def use_the_article_form(staff: Sweep, article: Article):
    """The form's scripts show stored texts too: the tag suggestions and the autocomplete lists."""
    page = staff.page
    response = page.goto(f"{staff.base}/admin/articles/article/{article.pk}/change/")
    page.locator("#id_tags").focus()
    page.keyboard.press("End")
    page.keyboard.type(", a")
    page.locator("#id_tags-suggestions option").first.wait_for(state="attached")
    for field in ["id_lead_image", "id_section", "id_bylines-0-author"]:
        page.locator(f".select2-selection[aria-labelledby='select2-{field}-container']").click()
        page.wait_for_selector(".select2-results__option:not(.loading-results)")
        page.keyboard.press("Escape")
    staff.check(page, None, response.headers, label="the article form, used")


ALL_TEXTS = [payload.text for payload in PAYLOADS]
# A form refused for what was typed shows it all again: every payload in every text box at once.
EVERYTHING = "".join(ALL_TEXTS)
REFUSED_FORMS = {
    "/admin/articles/article/add/": {
        **{name: EVERYTHING for name in ["kicker", "headline", "slug", "standfirst", "body", "section", "tags"]},
        **{name: EVERYTHING for name in ["lead_image", "lead_image_caption", "lead_image_credit", "meta_description"]},
        **inline_management(quotes=1, corrections=1),
        **{f"quotes-0-{name}": EVERYTHING for name in ["text", "speaker_name", "speaker_role", "position"]},
        **{f"corrections-0-{name}": EVERYTHING for name in ["text", "published_at_0", "published_at_1"]},
        "status": "published",
        "published_at_0": EVERYTHING,
    },
    "/admin/articles/section/add/": {name: EVERYTHING for name in ["name", "slug", "description", "order"]},
    "/admin/articles/author/add/": {name: EVERYTHING for name in ["name", "slug", "job_title", "bio", "photo"]},
    "/admin/articles/image/add/": {name: EVERYTHING for name in ["alt_text", "caption", "credit"]},
    "/admin/taggit/tag/add/": {name: EVERYTHING for name in ["name", "slug"]},
    "/admin/pages/page/add/": {name: EVERYTHING for name in ["title", "slug", "body", "description", "order"]},
    "/admin/newsletter/newsletter/add/": {name: EVERYTHING for name in ["name", "slug", "description", "send_time"]},
    "/admin/newsletter/edition/add/": {
        **{name: EVERYTHING for name in ["newsletter", "issue_date", "subject", "preheader", "intro"]},
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        **{f"items-0-{name}": EVERYTHING for name in ["article", "order", "blurb"]},
    },
    "/admin/newsletter/suppression/add/": {name: EVERYTHING for name in ["email", "reason", "note"]},
}
EDITOR_FORMS = ["/admin/articles/article/add/", "/admin/pages/page/add/", "/admin/newsletter/edition/add/"]
# The browser posts a form built of these fields, with the page's CSRF token: what a forged or pasted-into form sends.
POST_FORM = """([fields, url]) => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = url;
  form.enctype = "multipart/form-data";
  const token = document.querySelector("[name=csrfmiddlewaretoken]");
  for (const [name, value] of [...Object.entries(fields), ...(token ? [["csrfmiddlewaretoken", token.value]] : [])]) {
    const field = document.createElement("textarea");
    field.name = name;
    field.value = value;
    form.append(field);
  }
  document.body.append(form);
  form.submit();
}"""


def submit(sweep: Sweep, path: str, fields: dict, status: int):
    """Post the fields to `path` from the page the browser is on (with its CSRF token), and check the answer."""
    page = sweep.page
    with page.expect_navigation() as navigation:
        page.evaluate(POST_FORM, [fields, sweep.base + path])
    response = navigation.value
    assert response.status == status, (path, response.status)
    sweep.check(page, response.text(), response.headers, label=f"POST {path}")


def test_payloads_typed_into_searches_and_forms_run_nowhere(live_server, browser, context, csp_violations, chief):
    """What is shown back to the person who typed it: search results, a refused sign-up, a refused admin form,
    the admin's own searches, an import's report of the rows it refused."""
    base = live_server.url
    ArticleFactory(
        headline="Alert over the harbour wall",
        standfirst="Script writers and javascript coders < onerror > all called in.",
        body="<p>The svg plans show an &lt;img&gt; of the wall; onload, the alert sounds.</p>",
        tags=["alert"],
    )

    readers = Sweep(context, base)
    with_nul = [text for text in ALL_TEXTS if "\x00" in text]
    without_nul = [text for text in ALL_TEXTS if text not in with_nul]  # NUL in an address is answered 400
    readers.open(*(f"/search/?{urlencode({'q': q})}" for q in pack(without_nul, 200)))
    readers.open(*(f"/search/?{urlencode({'q': q})}" for q in with_nul), status=400)  # refused before any view
    readers.open(*(f"/search/?{urlencode({'q': q})}" for q in ["alert", "script onerror", "svg img alert"]))
    snippet = Client().get("/search/?q=svg").content.decode()
    assert "show an &lt;img&gt; of the wall" in snippet, "a result's snippet shows the body's text escaped once"
    # The sign-up form, refused for the address typed (and a forged page address): it shows both again.
    readers.page.goto(f"{base}/newsletter/")
    for typed in pack(ALL_TEXTS, 1000):
        submit(readers, "/newsletter/", {"email": typed, "source": "/" + typed, "newsletter": typed}, status=400)
    readers.assert_nothing_ran()

    staff = Sweep(staff_context(browser, base, csp_violations), base)
    for typed in pack(without_nul, 2000):  # the sign-in page keeps where to go next
        staff.open(f"/admin/login/?{urlencode({'next': typed})}")
    staff.page.goto(f"{base}/admin/login/")
    submit(staff, "/admin/login/", {"username": EVERYTHING, "password": EVERYTHING}, status=200)
    log_in(staff.page, base, "chief")
    if apps.is_installed("axes"):  # who tried to sign in, as typed
        staff.open("/admin/axes/accessattempt/", "/admin/axes/accessfailurelog/")
    for path, fields in REFUSED_FORMS.items():
        submit(staff, path, fields, status=200)
    # The body editor's forms, refused, run nothing with the policy out of the way either.
    unguarded = Sweep(browser.new_context(bypass_csp=True), base, tabs=1)
    log_in(unguarded.page, base, "chief")
    for path in EDITOR_FORMS:  # from the admin's index page, then each refused form
        submit(unguarded, path, REFUSED_FORMS[path], status=200)
    unguarded.page.wait_for_timeout(500)
    unguarded.assert_nothing_ran()
    unguarded.context.close()

    searches = pack(without_nul, 1000)
    lists = ["articles/article", "articles/image", "articles/author", "articles/section", "taggit/tag"]
    lists += ["pages/page", "newsletter/newsletter", "newsletter/subscriber", "newsletter/suppression"]
    staff.open(*(f"/admin/{name}/?{urlencode({'q': q})}" for name, q in zip(cycle(lists), searches)))
    # An import whose rows are all refused: the report lists each with what it held.
    rows = "email\n" + "".join('"' + text.replace('"', '""') + '"\n' for text in ALL_TEXTS if "\x00" not in text)
    page = staff.page
    page.goto(f"{base}/admin/newsletter/subscription/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "readers.csv", "mimeType": "text/csv", "buffer": rows.encode()}]
    )
    page.get_by_label("How these people consented").fill(pack(without_nul, 1000)[0])
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Import").click()
    assert navigation.value.status == 200
    assert page.locator(".import-report").count() == 1
    staff.check(page, navigation.value.text(), navigation.value.headers, label="the import's report")
    staff.assert_nothing_ran()
    staff.context.close()


def test_the_sweep_sees_payloads_that_get_through(live_server, context, csp_violations):
    """Each payload rendered raw (in a title, in text, in quoted attributes, in a JSON-LD block) is caught by both
    markup checks, and those meant to run on load do run in Chromium when nothing stops them (the canary hears
    each); served with the site's policy, the browser reports them."""
    documents, headers = {}, {"Content-Type": "text/html"}

    def serve(route):
        if route.request.url in documents:
            route.fulfill(body=documents[route.request.url], headers=headers)
        else:
            route.abort()

    context.route("http://xss.test/**", serve)
    sweep = Sweep(context, "http://xss.test")
    for payload in PAYLOADS:
        text = payload.text
        documents[f"http://xss.test/{payload.id}"] = (
            f"<!doctype html><title>{text}</title><p>{text}</p><input value=\"{text}\"><input value='{text}'>"
            f'<script type="application/ld+json">{{"name": "{text}"}}</script>'
        )
    sweep.open(*(f"/{payload.id}" for payload in PAYLOADS))
    sweep.page.wait_for_timeout(100)
    as_served = {int(url.rsplit("/", 1)[1]) for url, document in documents.items() if markup_problems(document)}
    as_built = {int(path[1:]) for path, found in sweep.built.items() if found}
    ran = {int(value) for _, value, _ in sweep.ran if value.isdigit()}
    armed = {payload.id for payload in PAYLOADS if not payload.dormant}
    on_load = {payload.id for payload in PAYLOADS if payload.kind == "runs"}
    assert armed <= as_served, f"missed as served: {sorted(armed - as_served)}"
    assert armed <= as_built, f"missed as built: {sorted(armed - as_built)}"
    assert on_load <= ran, f"did not run raw: {sorted(on_load - ran)}"
    assert ran <= armed, f"dormant payloads ran: {sorted(ran - armed)}"
    assert not csp_violations  # nothing of ours was on these pages

    # All of them in one page served with the site's policy: the browser blocks them and says so.
    headers["Content-Security-Policy"] = Client().get("/")["Content-Security-Policy"]
    documents["http://xss.test/all"] = "".join(payload.text for payload in PAYLOADS if not payload.dormant)
    sweep.page.goto("http://xss.test/all", wait_until="load")
    sweep.page.evaluate(SETTLED)
    assert {v["directive"] for v in csp_violations} >= {"script-src-elem", "script-src-attr"}, csp_violations
    csp_violations.clear()  # seen, and wanted
