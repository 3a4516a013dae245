import pytest

from articles.models import Article
from tests.admin_forms import change_url, form_data, opened_version
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_changing_a_published_articles_slug_keeps_the_old_address_working(admin_client, client):
    article = ArticleFactory(slug="bridge-to-close")
    version = opened_version(admin_client.get(change_url(article)).content.decode())

    admin_client.post(change_url(article), form_data(article, version, slug="abbey-bridge-to-close"))
    article.refresh_from_db()
    version = str(article.version)
    admin_client.post(change_url(article), form_data(article, version, slug="abbey-bridge-closes-in-may"))

    for old in ("/articles/bridge-to-close/", "/articles/abbey-bridge-to-close/"):
        response = client.get(old)
        assert response.status_code == 301
        assert response["Location"] == "/articles/abbey-bridge-closes-in-may/"
    assert client.get("/articles/abbey-bridge-closes-in-may/").status_code == 200


def test_a_draft_renamed_before_publication_leaves_no_redirect(admin_client, client):
    article = ArticleFactory(slug="working-title", status=Article.Status.DRAFT, published_at=None)

    admin_client.post(
        change_url(article),
        form_data(article, "1", slug="final-title"),
    )

    assert Article.objects.get().slug == "final-title"
    assert client.get("/articles/working-title/").status_code == 404


def test_an_old_address_of_an_unpublished_article_is_404(admin_client, client):
    article = ArticleFactory(slug="old-name")
    admin_client.post(change_url(article), form_data(article, "1", slug="new-name"))
    Article.objects.update(status=Article.Status.DRAFT)

    assert client.get("/articles/old-name/").status_code == 404
