"""An edition as email: the HTML and text parts, each recipient's headers and links, and nothing a writer typed
running as code in an inbox."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail

from newsletter import rendering
from newsletter.editions import edition_send_now
from newsletter.models import Edition, Subscription
from newsletter.sending import _message
from newsletter.tokens import read_unsubscribe_token
from tests.factories import ArticleFactory, EditionFactory, ImageFactory, SectionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


class Elements(HTMLParser):
    """Every start tag of a document with its attributes, as a browser's parser sees them."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def named(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.tags if tag == name]


def send(edition, *, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        edition_send_now(edition=edition, user=None)  # the workers' tasks run in the test (eager)
    edition.refresh_from_db()
    return edition


def html_part(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def without_tokens(text: str) -> str:
    return re.sub(r"/newsletter/(unsubscribe|preferences)/[^/\s]+/", r"/newsletter/\1/-/", text)


def site_path(url: str) -> str:
    assert url.startswith(settings.SITE_URL.rstrip("/") + "/"), url
    return urlsplit(url).path


@pytest.fixture
def stories():
    news = SectionFactory(slug="news", name="News")
    pictured = ArticleFactory(section=news, kicker="Exclusive", lead_image=ImageFactory())
    no_alt = ArticleFactory(section=news, headline="Ferry timetable changes", lead_image=ImageFactory(alt_text=""))
    plain = ArticleFactory(section=news, standfirst="Roadworks close the high street for a week.")
    return [pictured, no_alt, plain]


@pytest.fixture
def sent(stories, django_capture_on_commit_callbacks):
    subscriptions = SubscriptionFactory.create_batch(2)
    edition = EditionFactory(
        articles=stories,
        intro='<p>Good morning &amp; welcome.</p><p>Read <a href="/about/">about us</a> today.</p>',
    )
    edition.items.filter(article=stories[2]).update(blurb="Our own line about the roadworks.")
    edition = send(edition, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    messages = {message.to[0]: message for message in mail.outbox}
    return edition, [(s, messages[s.subscriber.email]) for s in subscriptions]


def test_each_message_has_a_text_part_and_an_html_part_with_the_css_inlined(sent):
    _, [(_, message), _] = sent
    html = html_part(message)
    elements = Elements(html)

    assert message.body and "<" not in message.body.replace("<http", "")
    assert not [attrs for attrs in elements.named("link") if attrs.get("rel") == "stylesheet"]
    assert elements.named("table") and all(t.get("role") == "presentation" for t in elements.named("table"))
    assert all("style" in attrs for attrs in elements.named("h2"))  # inlined from the <style> rules
    assert "prefers-color-scheme: dark" in html  # kept in <style>: media queries cannot be inlined
    assert {"name": "color-scheme", "content": "light dark"} in elements.named("meta")
    assert len(html) < 30_000  # Gmail clips messages past about 100 kB


def test_every_image_has_alt_text_and_an_absolute_address_of_a_rendition_that_exists(sent, stories):
    _, [(_, message), _] = sent
    images = Elements(html_part(message)).named("img")

    assert len(images) == 2
    for image in images:
        assert image["alt"].strip()
        path = site_path(image["src"])
        assert path.startswith(settings.MEDIA_URL)
        assert (Path(settings.MEDIA_ROOT) / path.removeprefix(settings.MEDIA_URL)).is_file()
    assert images[1]["alt"] == "Ferry timetable changes"  # an image with no alt text: its story's headline


def test_each_story_links_to_its_page_with_headline_kicker_and_standfirst_or_blurb(sent, stories):
    _, [(_, message), _] = sent
    html, text = html_part(message), message.body
    links = {a["href"] for a in Elements(html).named("a")}

    for story in stories:
        url = f"{settings.SITE_URL.rstrip('/')}{story.get_absolute_url()}"
        assert url in links
        assert f"Read it: {url}" in text
        assert story.headline in html and story.headline in text
    assert "Exclusive" in html and "EXCLUSIVE" in text
    assert stories[0].standfirst in html
    assert "Our own line about the roadworks." in html and "Our own line about the roadworks." in text
    assert stories[2].standfirst not in html


def test_the_text_part_has_the_intro_as_plain_words_and_every_link_in_full(sent):
    edition, [(_, message), _] = sent
    text = message.body
    site = settings.SITE_URL.rstrip("/")

    assert "Good morning & welcome.\n\nRead about us (" in text
    assert f"({site}/about/)" in text  # a link of the intro, with the site's address
    assert f"View in your browser: {site}{edition.get_absolute_url()}" in text
    assert f"Past editions: {site}/newsletter/the-daily/archive/" in text
    assert max(len(line) for line in text.splitlines() if "://" not in line) <= 78


def test_each_recipient_gets_their_own_unsubscribe_link_and_list_headers(sent):
    edition, recipients = sent
    ids = set()
    for subscription, message in recipients:
        headers = message.extra_headers
        own = headers["List-Unsubscribe"].removeprefix("<").removesuffix(">")
        address = urlsplit(own)
        token = address.path.removeprefix("/newsletter/unsubscribe/").removesuffix("/")
        assert read_unsubscribe_token(token) == subscription.pk
        assert address.query == f"edition={edition.pk}"  # the edition it came from
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["List-Id"] == edition.newsletter.list_id()
        assert headers["Message-ID"] == rendering.message_id(edition, subscription.pk)
        assert f"Unsubscribe with one click: {own}" in message.body
        assert own in {a["href"] for a in Elements(html_part(message)).named("a")}
        # The same token, and the edition it came from.
        preferences = f"{settings.SITE_URL.rstrip('/')}/newsletter/preferences/{token}/?edition={edition.pk}"
        assert f"Choose your newsletters: {preferences}" in message.body
        assert preferences in {a["href"] for a in Elements(html_part(message)).named("a")}
        assert rendering.LINK_MARK not in message.body + html_part(message)
        others = [m.extra_headers["List-Unsubscribe"].strip("<>") for s, m in recipients if s != subscription]
        assert not any(other in message.body or other in html_part(message) for other in others)
        ids.add(headers["Message-ID"])
    assert len(ids) == len(recipients)
    assert all(i.startswith("<") and i.endswith(f"@{settings.NEWSLETTER_LIST_DOMAIN}>") for i in ids)


def test_the_message_id_is_the_same_when_the_edition_goes_to_a_recipient_again(sent):
    edition, [(subscription, message), _] = sent
    delivery = edition.deliveries.select_related("subscription__subscriber").get(subscription=subscription)

    again = rendering.frozen(edition)
    resent = _message(edition, again, delivery)

    assert resent.extra_headers["Message-ID"] == message.extra_headers["Message-ID"]
    # The same text, but for the links' signed token, which carries the second it was made.
    assert without_tokens(resent.body) == without_tokens(message.body)


def test_the_unsubscribe_link_of_the_email_works_when_followed_and_by_one_click(client, sent):
    _, [(first, message), (second, other)] = sent
    link = site_path(message.extra_headers["List-Unsubscribe"].strip("<>"))

    page = client.get(link)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]  # never kept by the page cache
    first.refresh_from_db()
    assert first.status == Subscription.Status.ACTIVE  # a GET (a mail scanner) changes nothing

    # RFC 8058: the mail client posts List-Unsubscribe=One-Click, with no cookie or token.
    one_click = client.post(link, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    first.refresh_from_db()
    assert first.status == Subscription.Status.UNSUBSCRIBED

    footer_link = next(a["href"] for a in Elements(html_part(other)).named("a") if "/unsubscribe/" in a["href"])
    assert client.post(site_path(footer_link)).status_code == 200
    second.refresh_from_db()
    assert second.status == Subscription.Status.UNSUBSCRIBED


def test_the_view_in_your_browser_link_shows_the_edition_with_its_stories(client, sent, stories):
    edition, [(_, message), _] = sent
    links = [a["href"] for a in Elements(html_part(message)).named("a")]
    web = next(href for href in links if href.endswith(edition.get_absolute_url()))

    page = client.get(site_path(web))

    assert page.status_code == 200
    for story in stories:
        assert story.headline in page.content.decode()
    archive = client.get(f"/newsletter/{edition.newsletter.slug}/archive/")
    assert archive.status_code == 200 and edition.get_absolute_url() in archive.content.decode()


def test_nothing_from_an_article_or_the_intro_is_left_unescaped(client, django_capture_on_commit_callbacks):
    SubscriptionFactory()
    hostile = [
        ArticleFactory(
            kicker=attack[:60],
            headline=f"Headline {attack}",
            standfirst=f"Standfirst {attack}",
            lead_image=ImageFactory(alt_text=f"Alt {attack}"),
        )
        for attack in HOSTILE
    ]
    edition = EditionFactory(
        articles=hostile,
        subject=f"Subject {HOSTILE[0]}",
        preheader=f"Preheader {HOSTILE[1]}",
        intro=f"<p>Intro</p><script>alert(1)</script><p onclick=alert(1)>{HOSTILE[1]}</p>",
    )
    edition.items.filter(article=hostile[1]).update(blurb=f"Blurb {HOSTILE[0]} {HOSTILE[1]}")
    edition = send(edition, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    [message] = mail.outbox

    for markup in (html_part(message), client.get(edition.get_absolute_url()).content.decode()):
        elements = Elements(markup)
        assert not [
            attrs for tag, attrs in elements.tags if tag == "script" and attrs.get("type") != "application/ld+json"
        ]
        assert not [attrs for _, attrs in elements.tags if any(name.startswith("on") for name in attrs)]
        assert all(attrs.get("src") != "x" for attrs in elements.named("img"))
        assert "Headline &lt;script&gt;alert(1)&lt;/script&gt;" in markup  # shown as text, escaped
    assert message.subject == f"Subject {HOSTILE[0]}"  # a subject is plain text, shown as typed


def test_the_edition_is_rendered_once_however_many_recipients(monkeypatch, stories, django_capture_on_commit_callbacks):
    SubscriptionFactory.create_batch(5)
    calls = []
    real = rendering.render_to_string

    def counting(template_name, *args, **kwargs):
        calls.append(template_name)
        return real(template_name, *args, **kwargs)

    monkeypatch.setattr(rendering, "render_to_string", counting)
    edition = send(
        EditionFactory(articles=stories), django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )

    assert len(mail.outbox) == 5
    assert edition.status == Edition.Status.SENT
    assert sorted(calls) == ["newsletter/email/edition.html", "newsletter/email/edition.txt"]
    assert len({html_part(m) for m in mail.outbox}) == 5  # personalised, by substitution


def test_the_intro_as_plain_text_keeps_paragraphs_and_lists_and_decodes_entities():
    markup = (
        "<p>Caf&eacute; &amp; bar: &lt;tags&gt; stay words, &amp;lt; once.</p>"
        "<ul><li>One</li><li>Two</li></ul>"
        '<p><a href="https://example.org/x">A link</a> and ' + "a long sentence " * 8 + "</p>"
    )

    text = rendering.plain_text(markup)

    assert text.startswith(
        "Café & bar: <tags> stay words, &lt; once.\n\n- One\n- Two\n\nA link (https://example.org/x) and"
    )
    assert max(len(line) for line in text.splitlines()) <= rendering.TEXT_WIDTH
