"""A NUL character anywhere a client can put one gets the 400 page or a form error, never a 500 — on PostgreSQL,
which cannot store or compare text holding one, as on SQLite. So does an admin action on a selection that names
no row."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from articles.models import Article
from newsletter.models import Subscription
from tests.admin_forms import article_form, inline_management
from tests.factories import ArticleFactory, QuoteFactory, SectionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/search/?q=a%00b",
    "/search/?q=bridge&sort=%00",
    "/?page=%00",
    "/sections/news/?page=1%00",
    "/articles/a%00b/",
    "/tags/a%00b/",
    "/quotes/a%00b/",
    "/authors/a%00b/",
    "/newsletter/confirm/a%00b/",
    "/newsletter/unsubscribe/a%00b/",
    "/preview/a%00b/",
    "/sitemap-articles.xml?p=%00",
    "/feeds/rss.xml?%00=1",
    "/about%00/",
]
ADMIN = [
    "/admin/articles/article/tags/suggest/?q=a%00b",
    "/admin/autocomplete/?app_label=articles&model_name=relatedarticle&field_name=to_article&term=a%00b",
    "/admin/autocomplete/?app_label=articles&model_name=article&field_name=lead_image&term=a%00b",
    "/admin/articles/article/?q=a%00b",
    "/admin/articles/article/?section__id__exact=%00",
    "/admin/articles/article/?published_at__year=%00",
    "/admin/articles/article/1%00/change/",
    "/admin/articles/image/?q=a%00b",
    "/admin/newsletter/subscription/?q=a%00b",
    "/admin/newsletter/subscription/export/?q=a%00b",
    "/admin/taggit/tag/?q=a%00b",
]
OUT_OF_RANGE = [
    "/admin/articles/article/?published_at__year=99999999999999999999999",
    "/admin/articles/article/?section__id__exact=99999999999999999999999",
    "/admin/articles/article/99999999999999999999999/change/",
    "/admin/newsletter/subscription/export/?newsletter__id__exact=99999999999999999999999",
]


@pytest.fixture
def content():
    story = ArticleFactory(slug="bridge", tags=["bridge"])
    QuoteFactory(article=story)
    SubscriptionFactory()
    return story


@pytest.fixture
def reader():
    return Client(raise_request_exception=False)


@pytest.fixture
def editor(login_as, client):
    login_as("Editor")
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("url", PUBLIC)
def test_a_nul_in_a_public_address_gets_the_400_page(reader, content, url):
    response = reader.get(url)

    assert response.status_code == 400
    assert "couldn’t understand that request" in response.content.decode()


@pytest.mark.parametrize("url", ADMIN)
def test_a_nul_in_a_back_office_address_gets_the_400_page(editor, content, url):
    assert editor.get(url).status_code == 400


@pytest.mark.parametrize("url", OUT_OF_RANGE)
def test_numbers_too_large_for_the_database_do_not_break_the_back_office(editor, content, url):
    assert editor.get(url).status_code < 500


@pytest.mark.parametrize("page", ["change", "delete"])
def test_an_empty_to_field_parameter_means_the_primary_key(editor, content, page):
    response = editor.get(f"/admin/articles/article/{content.pk}/{page}/?_to_field=")

    assert response.status_code == 200
    assert content.headline in response.content.decode()


def test_a_nul_in_a_cookie_or_a_header_gets_the_400_page(content):
    session = Client(raise_request_exception=False)
    session.cookies["sessionid"] = "abcdefghijkl\x00mnop"
    assert session.get("/admin/").status_code == 400
    assert Client(raise_request_exception=False).get("/", HTTP_USER_AGENT="Probe\x00").status_code == 400


@pytest.mark.parametrize("field", ["email", "newsletter", "source"])
def test_a_nul_in_a_sign_up_field_is_a_form_error_and_subscribes_nobody(reader, field):
    data = {"email": "reader@example.com", "source": "/", "website": ""} | {field: "reader\x00@example.com"}

    response = reader.post("/newsletter/", data)

    assert response.status_code == 400
    assert "reader" in response.content.decode()
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("field", ["headline", "slug", "standfirst", "body", "section", "tags", "status"])
def test_a_nul_in_an_article_form_field_is_a_form_error_that_keeps_the_typing(editor, field):
    section = SectionFactory(slug="news")
    data = article_form(section, status="draft")
    data[field] = f"{data[field]}\x00"

    response = editor.post("/admin/articles/article/add/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert "The increase is the largest in a decade." in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.parametrize("selected", ["1\x00", "abc", "", "99999999999999999999999"])
def test_an_action_on_a_selection_that_names_no_article_does_nothing(editor, selected):
    story = ArticleFactory(status=Article.Status.REVIEW, published_at=None)

    response = editor.post(
        "/admin/articles/article/", {"action": "publish_now", "_selected_action": [selected, story.pk]}, follow=True
    )

    assert response.status_code == 200
    story.refresh_from_db()
    assert story.status == Article.Status.REVIEW
    assert not LogEntry.objects.exists()


def test_nul_in_imported_cells_is_reported_by_line_and_nothing_breaks(login_as, client):
    login_as("Audience")
    text = (
        "email,newsletter,status,subscribed_at\n"
        "good@example.com,the-daily,active,2025-01-02\n"
        "bad\x00@example.com,the-daily,active,2025-01-02\n"
        "other@example.com,the\x00daily,active,2025-01-02\n"
        "third@example.com,the-daily,act\x00ive,2025-01-02\n"
        "fourth@example.com,the-daily,active,2025\x00-01-02\n"
    )
    upload = SimpleUploadedFile("list\x00.csv", text.encode(), content_type="text/csv")

    response = client.post(
        "/admin/newsletter/subscription/import/",
        {
            "file": upload,
            "newsletter": Subscription._meta.get_field("newsletter").related_model.objects.get().pk,
            "consent_note": "Signed up on our old provider's form",
        },
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == 1
    assert [error.line for error in report.errors] == [3, 4, 5, 6]
    assert list(Subscription.objects.values_list("subscriber__email", flat=True)) == ["good@example.com"]


@pytest.mark.parametrize("value", ["1\x00", "abc", "99999999999999999999999"])
@pytest.mark.parametrize("field", ["section", "lead_image", "bylines-0-author", "related_links-0-to_article"])
def test_a_chooser_posted_with_a_value_that_names_nothing_is_a_form_error(editor, field, value):
    data = article_form(SectionFactory(slug="news"), status="draft", **inline_management(bylines=1, related_links=1))
    data[field] = value

    response = editor.post("/admin/articles/article/add/", data)

    assert response.status_code == 200
    assert "The increase is the largest in a decade." in response.content.decode()
    assert not Article.objects.exists()
