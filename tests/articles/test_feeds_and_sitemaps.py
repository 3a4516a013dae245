import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import feedparser
import pytest
from django.utils import timezone

from articles.models import Article, Correction
from tests.factories import ArticleFactory, AuthorFactory, BylineFactory, ImageFactory, SectionFactory

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture
def stories():
    business = SectionFactory(slug="business", name="Business")
    live = ArticleFactory(
        headline="Creamery to double its output",
        standfirst="85 new jobs at the dairy.",
        section=business,
        lead_image=ImageFactory(),
        tags=["jobs", "farming"],
    )
    BylineFactory(article=live, author=AuthorFactory(name="Tom Okafor"))
    ArticleFactory(headline="A news story")
    ArticleFactory(headline="Secret draft", status=Article.Status.DRAFT, published_at=None, section=business)
    ArticleFactory(headline="Tomorrow's story", published_at=timezone.now() + timedelta(days=1), section=business)
    return live


def test_the_site_feed_carries_everything_a_feed_reader_shows(client, stories):
    feed = feedparser.parse(client.get("/feeds/rss.xml").content)

    assert feed.bozo == 0 and feed.version == "rss20"
    titles = [entry.title for entry in feed.entries]
    assert "Creamery to double its output" in titles and "A news story" in titles
    assert "Secret draft" not in titles and "Tomorrow's story" not in titles
    entry = next(e for e in feed.entries if e.title == "Creamery to double its output")
    assert entry.summary == "<p>85 new jobs at the dairy.</p>"
    assert entry.author == "Tom Okafor"
    assert {t.term for t in entry.tags} == {"Business", "jobs", "farming"}
    assert entry.enclosures[0].type == "image/jpeg" and entry.enclosures[0].href.startswith("http://testserver/media/")
    assert entry.published_parsed is not None


def test_a_feed_item_carries_the_articles_corrections_dated_and_escaped(client, stories):
    Correction.objects.create(
        article=stories,
        text="An earlier version said 58 <b>jobs</b>.",
        published_at=timezone.make_aware(datetime(2026, 3, 4, 12, 0)),
    )
    stories.standfirst = "85 new jobs & a <script>alert(1)</script> shop."
    stories.save()

    content = client.get("/feeds/rss.xml").content
    entry = next(e for e in feedparser.parse(content).entries if e.title == "Creamery to double its output")

    assert (
        "<strong>Correction, 4 March 2026:</strong> An earlier version said 58 &lt;b&gt;jobs&lt;/b&gt;."
        in entry.summary
    )
    assert "85 new jobs &amp; a &lt;script&gt;" in entry.summary
    assert b"<script>" not in content and b"&lt;script&gt;" not in content  # escaped twice in the XML


def test_a_section_feed_has_only_that_section(client, stories):
    feed = feedparser.parse(client.get("/sections/business/feed/").content)

    assert [entry.title for entry in feed.entries] == ["Creamery to double its output"]
    assert "Business" in feed.feed.title


def test_the_guid_stays_the_same_when_the_article_is_edited(client, stories):
    before = feedparser.parse(client.get("/feeds/rss.xml").content).entries[0].id
    stories.slug = "creamery-output-doubles"
    stories.headline = "Creamery doubles output"
    stories.save()

    after = feedparser.parse(client.get("/feeds/rss.xml").content)
    assert before in [entry.id for entry in after.entries]


def test_atom_feed_parses(client, stories):
    feed = feedparser.parse(client.get("/feeds/atom.xml").content)

    assert feed.bozo == 0 and feed.version == "atom10" and len(feed.entries) == 2


def test_every_page_advertises_the_feed(client, stories):
    for url in ("/", stories.get_absolute_url(), "/sections/business/"):
        html = client.get(url).content.decode()
        assert '<link rel="alternate" type="application/rss+xml"' in html and 'href="/feeds/rss.xml"' in html
    assert 'href="/sections/business/feed/"' in client.get("/sections/business/").content.decode()


def test_the_sitemap_index_and_its_sitemaps_list_only_published_articles(client, stories):
    index = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert any(loc.endswith("/sitemap-articles.xml") for loc in locations)
    assert any(loc.endswith("/sitemap-sections.xml") for loc in locations)

    articles = ET.fromstring(client.get("/sitemap-articles.xml").content)
    urls = [loc.text for loc in articles.iter(f"{SITEMAP}loc")]
    assert f"http://testserver{stories.get_absolute_url()}" in urls
    assert len(urls) == 2


def test_the_news_sitemap_has_the_last_two_days(client, stories):
    ArticleFactory(headline="Old story", published_at=timezone.now() - timedelta(days=3))

    news = ET.fromstring(client.get("/sitemap-news.xml").content)

    titles = [title.text for title in news.iter(f"{NEWS}title")]
    assert sorted(titles) == ["A news story", "Creamery to double its output"]
    assert next(news.iter(f"{NEWS}name")).text == "The Kingsmere Courier"


def test_robots_txt_names_the_sitemaps_and_keeps_crawlers_out_of_the_back_office(client):
    text = client.get("/robots.txt").content.decode()

    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Sitemap: http://testserver/sitemap-news.xml" in text
    assert "Disallow: /admin/" in text and "Disallow: /preview/" in text


@pytest.mark.parametrize("n", [1, 15])
def test_the_feed_costs_the_same_queries_however_many_articles(client, django_assert_num_queries, n):
    image = ImageFactory()
    for _ in range(n):
        article = ArticleFactory(lead_image=image, tags=["a", "b"])
        BylineFactory(article=article)
    # 1 articles with sections and lead images, 2 bylines with authors, 3 tags, 4 corrections.
    with django_assert_num_queries(4):
        assert client.get("/feeds/rss.xml").status_code == 200


def test_control_characters_pasted_into_a_correction_do_not_break_the_feed(client, stories):
    Correction.objects.create(article=stories, text="Page\x0cbreak and a vertical\x0btab from a word processor.")
    stories.headline = "Creamery\x08 doubles output"
    stories.save()

    response = client.get("/feeds/rss.xml")

    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0
    assert "Creamery doubles output" in [entry.title for entry in feed.entries]
