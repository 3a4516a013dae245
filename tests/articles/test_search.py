import pytest
from django.db import connection

from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories():
    body_match = ArticleFactory(
        headline="Council meets on Tuesday",
        standfirst="Members met.",
        body="<p>Members discussed the footbridge over the river and its cost.</p>",
    )
    headline_match = ArticleFactory(
        headline="Footbridge plan approved", standfirst="A decision.", body="<p>Work starts soon.</p>"
    )
    ArticleFactory(
        headline="Draft about the footbridge", standfirst="Secret.", status=Article.Status.DRAFT, published_at=None
    )
    ArticleFactory(headline="Unrelated market news", standfirst="Prices.", body="<p>Stalls and prices.</p>")
    return headline_match, body_match


def test_every_page_has_a_search_form_in_its_header(client):
    html = client.get("/").content.decode()

    assert '<form role="search"' in html and 'action="/search/"' in html and 'name="q"' in html


def test_a_word_in_the_body_finds_the_story_with_a_marked_snippet(client, stories):
    html = client.get("/search/", {"q": "footbridge"}).content.decode()

    assert "Footbridge plan approved" in html and "Council meets on Tuesday" in html
    assert "Draft about the footbridge" not in html and "Unrelated market news" not in html
    assert "<mark>footbridge</mark>" in html


def test_a_headline_match_outranks_a_body_match(client, stories):
    headline_match, body_match = stories

    results = client.get("/search/", {"q": "footbridge"}).context["articles"]

    assert list(results) == [headline_match, body_match]


def test_newest_first_on_request(client, stories):
    headline_match, body_match = stories

    results = client.get("/search/", {"q": "footbridge", "sort": "newest"}).context["articles"]

    assert list(results) == sorted([headline_match, body_match], key=lambda a: a.published_at, reverse=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming is PostgreSQL full-text search")
def test_stemming_finds_other_forms_of_a_word(client):
    story = ArticleFactory(headline="Two bridges close", body="<p>Bridging works.</p>")

    assert list(client.get("/search/", {"q": "bridge"}).context["articles"]) == [story]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 5000,
        "!!! ??? ...",
        "'; DROP TABLE articles_article; --",
        '<script>alert("x")</script>',
        '" OR 1=1 --',
        "footbridge & | ! ( ) : *",
    ],
    ids=["empty", "spaces", "5000 chars", "punctuation", "sql", "html", "quotes", "tsquery operators"],
)
def test_absurd_queries_get_a_normal_page(client, stories, query):
    response = client.get("/search/", {"q": query})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert Article.objects.count() == 4


@pytest.mark.parametrize("n", [1, 15])
def test_search_page_query_count_is_constant(client, django_assert_num_queries, n):
    for i in range(n):
        ArticleFactory(headline=f"Footbridge story {i}")
    # 1 count for the paginator, 2 the page of results with sections.
    with django_assert_num_queries(2):
        assert client.get("/search/", {"q": "footbridge"}).status_code == 200


def test_a_bad_page_number_is_a_404(client, stories):
    assert client.get("/search/", {"q": "footbridge", "page": "99"}).status_code == 404


def test_result_pages_link_on_with_the_query(client):
    for i in range(12):
        ArticleFactory(headline=f"Footbridge story {i}")

    html = client.get("/search/", {"q": "footbridge story", "sort": "newest"}).content.decode()

    assert 'rel="next" href="?q=footbridge+story&amp;sort=newest&amp;page=2"' in html


def test_a_word_in_every_story_is_ranked_among_the_newest_matches_only(client, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the ranked search is PostgreSQL's")
    from datetime import timedelta

    from django.utils import timezone

    from articles import models

    monkeypatch.setattr(models, "SEARCH_MAX_MATCHES", 5)
    for hours in range(8):
        ArticleFactory(headline=f"Harbour story {hours}", published_at=timezone.now() - timedelta(hours=hours))

    found = list(Article.objects.published().search("harbour", order="newest"))

    assert [a.headline for a in found] == [f"Harbour story {hours}" for hours in range(5)]
