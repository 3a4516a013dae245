"""Tags in any script ("café", "Zürich council", "東京") work everywhere a tag appears; a tag with no letter or
digit in it is refused, never stored."""

import importlib
import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote

import feedparser
import pytest
from taggit.models import Tag

from articles.models import Article, Quote
from tests.admin_forms import article_form
from tests.factories import ArticleFactory, QuoteFactory, SectionFactory

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NAMES = ["café", "Zürich council", "東京"]


@pytest.fixture
def tagged():
    return ArticleFactory(headline="Tokyo buyers order Wendshire Blue", tags=NAMES)


def tag_urls(html: str) -> list[str]:
    return [unquote(part.split('"')[0]) for part in html.split('href="/tags/')[1:]]


def test_an_article_with_tags_in_any_script_shows_and_links_each_tag(client, tagged):
    response = client.get(tagged.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert sorted(tag_urls(html)) == sorted(["café/", "zürich-council/", "東京/"])
    assert f'href="/tags/{quote("東京")}/"' in html  # readable once decoded, valid as written


@pytest.mark.parametrize("slug", ["café", "zürich-council", "東京"])
def test_each_tag_page_lists_the_article(client, tagged, slug):
    response = client.get(f"/tags/{quote(slug)}/")

    assert response.status_code == 200
    assert "Tokyo buyers order Wendshire Blue" in response.content.decode()


def test_existing_tags_keep_their_addresses(client):
    ArticleFactory(tags=["town council"])

    assert Tag.objects.get(name="town council").slug == "town-council"
    assert client.get("/tags/town-council/").status_code == 200


def test_the_tag_sitemap_lists_tags_in_any_script(client, tagged):
    response = client.get("/sitemap-tags.xml")

    assert response.status_code == 200
    locations = {unquote(loc.text) for loc in ET.fromstring(response.content).iter(f"{SITEMAP}loc")}
    assert {"http://testserver/tags/café/", "http://testserver/tags/東京/"} <= locations


def test_feeds_carry_the_tags_as_categories(client, tagged):
    feed = feedparser.parse(client.get("/feeds/rss.xml").content)

    assert set(NAMES) <= {term["term"] for term in feed.entries[0].tags}


def test_search_finds_a_story_by_its_tag(client, tagged):
    ArticleFactory(headline="Something else entirely")

    results = client.get("/search/", {"q": "東京"}).context["articles"]

    assert [article.headline for article in results] == ["Tokyo buyers order Wendshire Blue"]


def test_related_news_links_stories_that_share_a_tag_in_any_script(client, tagged):
    ArticleFactory(headline="Unrelated story", tags=["markets"])
    sibling = ArticleFactory(headline="A second Tokyo order", tags=["東京"])

    related = client.get(tagged.get_absolute_url()).context["related_news"]

    assert related[0] == sibling


def test_the_admin_suggests_tags_in_any_script(admin_client, tagged):
    assert admin_client.get("/admin/articles/article/tags/suggest/", {"q": "caf"}).json() == {"results": ["café"]}
    assert admin_client.get("/admin/articles/article/tags/suggest/", {"q": "東"}).json() == {"results": ["東京"]}


@pytest.mark.parametrize("bad", [">", "!!!", "—", "«»"])
def test_a_tag_that_gives_no_address_is_refused_and_never_stored(admin_client, bad):
    section = SectionFactory(slug="news")

    response = admin_client.post(
        "/admin/articles/article/add/", article_form(section, status="draft", tags=f"housing, {bad}")
    )

    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors["tags"])
    assert "letter or digit" in errors
    assert bad in response.content.decode()  # what was typed is still in the form
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


def test_a_journalist_can_bring_in_a_tag_in_any_script_and_an_editor_publishes_it(admin_client, client):
    section = SectionFactory(slug="news")

    response = admin_client.post(
        "/admin/articles/article/add/", article_form(section, tags="東京, café", status="published")
    )

    assert response.status_code == 302
    article = Article.objects.get()
    assert client.get(article.get_absolute_url()).status_code == 200
    assert client.get("/sitemap-tags.xml").status_code == 200


def test_the_tag_admin_refuses_a_tag_without_an_address(admin_client):
    response = admin_client.post("/admin/taggit/tag/add/", {"name": "?!", "slug": ""})

    assert response.status_code == 200
    assert "letter or digit" in response.content.decode()
    assert not Tag.objects.exists()


def test_the_tag_admin_fills_in_the_address_of_a_tag_in_any_script(admin_client, client):
    response = admin_client.post("/admin/taggit/tag/add/", {"name": "Zürich council", "slug": ""})

    assert response.status_code == 302
    assert Tag.objects.get().slug == "zürich-council"


def test_a_speaker_named_in_any_script_has_a_page_of_their_own(client):
    story = ArticleFactory()
    QuoteFactory(article=story, speaker_name="山田 花子", text="私たちは準備ができています。")
    QuoteFactory(article=story, speaker_name="Zoë Müller", text="We are ready.")
    QuoteFactory(article=story, speaker_name="李明", text="Another speaker entirely.")

    html = client.get(story.get_absolute_url()).content.decode()
    speaker_urls = {unquote(part.split('"')[0]) for part in html.split('href="/quotes/')[1:]}

    assert speaker_urls == {"山田-花子/", "zoe-muller/", "李明/"}
    page = client.get(f"/quotes/{quote('山田-花子')}/").content.decode()
    assert "私たちは準備ができています。" in page and "Another speaker" not in page


def test_tags_and_speakers_saved_before_without_an_address_get_one(client):
    from django.apps import apps

    story = ArticleFactory()
    story.tags.add(Tag.objects.create(name=">", slug=""))  # as taggit stored such a tag until now
    quote = QuoteFactory(article=story, speaker_name="李明")
    Quote.objects.filter(pk=quote.pk).update(speaker_slug="unknown")

    importlib.import_module("articles.migrations.0015_addresses_in_any_script").fill(apps, None)

    tag = Tag.objects.get(name=">")
    assert tag.slug == f"tag-{tag.pk}"
    assert client.get(story.get_absolute_url()).status_code == 200
    assert client.get(f"/tags/tag-{tag.pk}/").status_code == 200
    assert Quote.objects.get(pk=quote.pk).speaker_slug == "李明"
