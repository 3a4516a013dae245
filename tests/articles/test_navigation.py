import xml.etree.ElementTree as ET

import pytest
from taggit.models import Tag

from articles.models import Article
from tests.factories import ArticleFactory, AuthorFactory, BylineFactory, ImageFactory, QuoteFactory

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_a_tag_page_lists_its_published_articles_and_article_tags_link_to_it(client):
    story = ArticleFactory(headline="Flood wall approved", tags=["flooding"])
    ArticleFactory(headline="Secret flood plan", tags=["flooding"], status=Article.Status.DRAFT, published_at=None)
    ArticleFactory(headline="Market day", tags=["markets"])

    html = client.get("/tags/flooding/").content.decode()

    assert "Flood wall approved" in html and "Secret flood plan" not in html and "Market day" not in html
    assert 'href="/tags/flooding/"' in client.get(story.get_absolute_url()).content.decode()
    assert client.get("/tags/no-such-tag/").status_code == 404


def test_an_author_page_shows_bio_photo_and_their_articles(client):
    author = AuthorFactory(name="Priya Raman", slug="priya-raman", bio="Covers the river.", photo=ImageFactory())
    story = ArticleFactory(headline="Otters return")
    BylineFactory(article=story, author=author)
    ArticleFactory(headline="Someone else's story")

    html = client.get("/authors/priya-raman/").content.decode()

    assert "Priya Raman" in html and "Covers the river." in html and "<picture" in html
    assert "Otters return" in html and "Someone else" not in html
    assert 'href="/authors/priya-raman/"' in client.get(story.get_absolute_url()).content.decode()


def test_a_speakers_quotes_across_published_articles(client):
    first = ArticleFactory(headline="Bridge to close")
    second = ArticleFactory(headline="Budget agreed")
    draft = ArticleFactory(headline="Unpublished", status=Article.Status.DRAFT, published_at=None)
    QuoteFactory(article=first, speaker_name="Margaret Ashdown", text="We had no choice.")
    QuoteFactory(article=second, speaker_name="Margaret Ashdown", text="A fair budget.")
    QuoteFactory(article=draft, speaker_name="Margaret Ashdown", text="Not yet public.")
    QuoteFactory(article=first, speaker_name="Owen Fairley", text="Someone else.")

    html = client.get("/quotes/margaret-ashdown/").content.decode()

    assert "We had no choice." in html and "A fair budget." in html
    assert "Not yet public." not in html and "Someone else." not in html
    assert 'href="/quotes/margaret-ashdown/"' in client.get(first.get_absolute_url()).content.decode()
    assert client.get("/quotes/nobody-at-all/").status_code == 404


def test_sitemaps_list_tags_and_authors_with_published_work(client):
    author = AuthorFactory(slug="tom-okafor")
    BylineFactory(article=ArticleFactory(tags=["jobs"]), author=author)
    AuthorFactory(slug="no-stories-yet")
    Tag.objects.create(name="unused", slug="unused")

    tags = [loc.text for loc in ET.fromstring(client.get("/sitemap-tags.xml").content).iter(f"{SITEMAP}loc")]
    authors = [loc.text for loc in ET.fromstring(client.get("/sitemap-authors.xml").content).iter(f"{SITEMAP}loc")]

    assert tags == ["http://testserver/tags/jobs/"]
    assert authors == ["http://testserver/authors/tom-okafor/"]


@pytest.mark.parametrize("n", [1, 15])
def test_tag_author_and_speaker_pages_cost_constant_queries(client, django_assert_num_queries, n):
    author = AuthorFactory(slug="writer")
    image = ImageFactory()
    for _ in range(n):
        article = ArticleFactory(tags=["river"], lead_image=image)
        BylineFactory(article=article, author=author)
        QuoteFactory(article=article, speaker_name="Ada Marsh")
    # subject, paginator count, page of articles, bylines (the header and footer are cached)
    with django_assert_num_queries(4):
        assert client.get("/tags/river/").status_code == 200
    with django_assert_num_queries(4):
        assert client.get("/authors/writer/").status_code == 200
    # paginator count, page of quotes with their articles
    with django_assert_num_queries(2):
        assert client.get("/quotes/ada-marsh/").status_code == 200


def test_bad_page_numbers_on_list_pages_are_404(client):
    ArticleFactory(tags=["river"])
    QuoteFactory(speaker_name="Ada Marsh")

    for url in ("/tags/river/?page=9", "/quotes/ada-marsh/?page=abc"):
        assert client.get(url).status_code == 404


def test_every_paginated_list_links_its_neighbour_pages_in_the_head(client):
    author = AuthorFactory(slug="ada")
    for i in range(25):
        article = ArticleFactory(headline=f"Footbridge story {i}", tags=["bridges"], section__slug="news")
        BylineFactory(article=article, author=author)
        QuoteFactory(article=article, speaker_name="Ada Marsh")
    lists = ["/sections/news/", "/tags/bridges/", "/authors/ada/", "/quotes/ada-marsh/", "/search/?q=footbridge"]

    for url in lists:
        join = "&" if "?" in url else "?"
        first = client.get(url).content.decode().split("</head>")[0]
        second = client.get(f"{url}{join}page=2").content.decode().split("</head>")[0]
        assert '<link rel="next" href="?' in first and 'rel="prev"' not in first, url
        assert '<link rel="prev" href="?' in second, url


def test_the_header_has_sections_search_and_the_newsletter_call_to_action(client):
    ArticleFactory(section__name="Business", section__slug="business")

    header = client.get("/").content.decode().split("</header>")[0]

    assert '<form role="search"' in header
    assert 'href="/sections/business/"' in header
    assert '<a class="header-cta" href="/newsletter/">Get the newsletter</a>' in header


def test_the_header_marks_the_section_of_the_page_as_current_and_nothing_elsewhere(client):
    from tests.factories import ArticleFactory, SectionFactory

    news, sport = SectionFactory(name="News", slug="news"), SectionFactory(name="Sport", slug="sport")
    story = ArticleFactory(section=sport, slug="cup-final")

    def current(url):
        html = client.get(url).content.decode()
        return html.count('" aria-current="page">'), 'href="/sections/sport/" aria-current="page"' in html

    assert current("/sections/sport/") == (1, True)
    assert current(story.get_absolute_url()) == (1, True)
    assert current("/sections/news/")[1] is False and current("/")[0] == 0
    assert news.pk  # both sections listed, one marked
