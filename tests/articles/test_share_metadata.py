import json
import re

import pytest

from articles.models import Correction
from tests.factories import ArticleFactory, AuthorFactory, BylineFactory, ImageFactory, SectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import image_bytes

    story = ArticleFactory(
        headline='Bridge "to close" </script><script>alert(1)</script>',
        standfirst="Work starts in May.",
        lead_image=ImageFactory(file=SimpleUploadedFile("wide.jpg", image_bytes(size=(2000, 1000)))),
        tags=["transport", "river wend"],
    )
    BylineFactory(article=story, author=AuthorFactory(name="Priya Raman", slug="priya-raman"))
    Correction.objects.create(article=story, text="An earlier version gave the wrong month.")
    return story


def json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))


def test_the_article_page_describes_itself_as_a_news_article(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    data = json_ld(html)

    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article.headline
    assert data["description"] == "Work starts in May."
    assert data["mainEntityOfPage"]["@id"] == f"http://testserver{article.get_absolute_url()}"
    assert data["datePublished"] and data["dateModified"]
    assert data["author"] == [
        {
            "@type": "Person",
            "name": "Priya Raman",
            "url": "http://testserver/authors/priya-raman/",
            "jobTitle": "Business reporter",
        }
    ]
    assert data["publisher"]["name"] == "The Kingsmere Courier" and data["publisher"]["logo"]["url"].startswith("http")
    assert data["image"][0].startswith("http://testserver/media/renditions/") and "-1280w." in data["image"][0]
    assert data["correction"][0]["text"] == "An earlier version gave the wrong month."
    assert "<script>alert(1)" not in html


def test_the_article_page_has_opengraph_and_twitter_tags(client, article):
    html = client.get(article.get_absolute_url()).content.decode()

    for expected in (
        '<meta property="og:type" content="article">',
        '<meta property="og:description" content="Work starts in May.">',
        '<meta property="article:tag" content="river wend">',
        '<meta property="article:section" content="News">',
        '<meta name="twitter:card" content="summary_large_image">',
        '<meta property="og:image:width" content="1280">',
    ):
        assert expected in html, expected
    assert 'content="Bridge &quot;to close&quot; &lt;/script&gt;' in html


def test_every_page_has_a_title_a_description_and_a_canonical_address(client, article):
    SectionFactory(slug="business")
    for url, canonical in (
        ("/", "http://testserver/"),
        ("/sections/business/", "http://testserver/sections/business/"),
        (article.get_absolute_url(), f"http://testserver{article.get_absolute_url()}"),
        ("/tags/transport/?utm_source=x", "http://testserver/tags/transport/"),
    ):
        html = client.get(url).content.decode()
        assert re.search(r"<title>[^<]+</title>", html), url
        assert re.search(r'<meta name="description" content="[^"]+">', html), url
        assert f'<link rel="canonical" href="{canonical}">' in html, url
