import re
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from articles import preview
from articles.models import Article
from tests.factories import ArticleFactory, QuoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    article = ArticleFactory(headline="Budget leak draft", status=Article.Status.DRAFT, published_at=None)
    QuoteFactory(article=article, text="Not yet public words")
    return article


def test_a_draft_is_visible_through_its_preview_link_and_nowhere_else(client, draft):
    response = client.get(preview.preview_url(draft))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Budget leak draft" in html and "Not yet public words" in html
    assert "Preview." in html and "readers cannot see this article" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert 'rel="canonical"' not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_scheduled_article_preview_says_when_it_goes_out(client):
    article = ArticleFactory(published_at=timezone.now() + timedelta(days=1))

    assert "Scheduled for" in client.get(preview.preview_url(article)).content.decode()


def test_an_expired_preview_link_is_410(client, draft, settings):
    url = preview.preview_url(draft)
    settings.PREVIEW_LINK_HOURS = -1

    response = client.get(url)

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "token",
    ["nonsense", signing.dumps({"a": 1}, salt="another.purpose"), signing.dumps({"a": "1"}, salt=preview.SALT)],
    ids=["garbage", "signed for something else", "wrong payload"],
)
def test_a_tampered_preview_link_is_400(client, draft, token):
    response = client.get(f"/preview/{token}/")

    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_preview_link_for_a_deleted_article_is_404(client, draft):
    url = preview.preview_url(draft)
    draft.delete()

    assert client.get(url).status_code == 404


def test_the_admin_offers_the_preview_link(admin_client, draft):
    html = admin_client.get(f"/admin/articles/article/{draft.pk}/change/").content.decode()

    link = re.search(r'href="(/preview/[^"]+/)"', html).group(1)
    assert admin_client.get(link).status_code == 200


@pytest.mark.parametrize("n", [1, 10])
def test_preview_page_query_count_is_constant(client, django_assert_num_queries, n):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, tags=[f"t{i}" for i in range(n)])
    for _ in range(n):
        QuoteFactory(article=article)
    # Same plan as the article page: the article, then its bylines, tags, figures, quotes, corrections and
    # related news (one query).
    with django_assert_num_queries(2):
        assert client.get(preview.preview_url(article)).status_code == 200
