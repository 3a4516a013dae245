import pytest

from articles.models import Article
from tests.admin_forms import article_form, inline_management
from tests.factories import ArticleFactory, AuthorFactory, ImageFactory, SectionFactory

pytestmark = pytest.mark.django_db


def test_a_complete_article_is_written_and_published_in_one_form(admin_client, client):
    section = SectionFactory(slug="news", name="News")
    author = AuthorFactory(name="Priya Shah", job_title="Transport correspondent")
    image = ImageFactory(caption="Library caption", credit="Courier")
    other = ArticleFactory(headline="Earlier bridge story")

    response = admin_client.post(
        "/admin/articles/article/add/",
        {
            "kicker": "",
            "headline": "Ferry service returns to the Wend",
            "slug": "ferry-service-returns",
            "standfirst": "Boats will run every hour from May.",
            "body": "<p>One.</p><p>Two.</p>",
            "section": section.pk,
            "tags": "river wend, transport",
            "lead_image": image.pk,
            "lead_image_caption": "The ferry at its mooring",
            "status": "published",
            "published_at_0": "",
            "published_at_1": "",
            "meta_description": "",
            **inline_management(bylines=1, figures=1, quotes=1, related_links=1),
            "bylines-0-author": author.pk,
            "bylines-0-order": "0",
            "figures-0-image": image.pk,
            "figures-0-caption": "Passengers boarding",
            "figures-0-credit": "",
            "figures-0-position": "1",
            "quotes-0-text": "We have missed the ferry for ten years.",
            "quotes-0-speaker_name": "Tom Reed",
            "quotes-0-speaker_role": "Chair of the Ferry Users' Group",
            "quotes-0-position": "2",
            "related_links-0-to_article": other.pk,
            "related_links-0-order": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(slug="ferry-service-returns")
    assert article.is_live
    assert sorted(article.tags.names()) == ["river wend", "transport"]
    html = client.get(article.get_absolute_url()).content.decode()
    assert "The ferry at its mooring" in html
    assert "Tom Reed" in html and "Chair of the Ferry Users&#x27; Group" in html
    assert "Earlier bridge story" in html
    assert "Ferry service returns to the Wend" in client.get("/").content.decode()


def test_invalid_article_form_keeps_everything_typed_including_inlines(admin_client):
    response = admin_client.post(
        "/admin/articles/article/add/",
        {
            "headline": "A headline worth keeping",
            "slug": "",
            "standfirst": "",
            "body": "<p>Three hundred careful words.</p>",
            "status": "draft",
            **inline_management(quotes=1),
            "quotes-0-text": "Words I must not lose",
            "quotes-0-speaker_name": "",
            "quotes-0-position": "1",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    for typed in ("A headline worth keeping", "Three hundred careful words.", "Words I must not lose"):
        assert typed in html
    assert not Article.objects.exists()


def test_view_on_site_is_offered_only_for_live_articles(admin_client):
    live = ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    assert live.get_absolute_url() in admin_client.get(f"/admin/articles/article/{live.pk}/change/").content.decode()
    assert "View on site" not in admin_client.get(f"/admin/articles/article/{draft.pk}/change/").content.decode()


@pytest.mark.parametrize(
    ("model", "field", "term"),
    [("byline", "author", "Priya"), ("figure", "image", "harbour"), ("relatedarticle", "to_article", "Ferry")],
)
def test_autocomplete_finds_authors_images_and_articles(admin_client, model, field, term):
    AuthorFactory(name="Priya Shah")
    ImageFactory(alt_text="The harbour at dusk", renditions=False)
    ArticleFactory(headline="Ferry returns")

    response = admin_client.get(
        "/admin/autocomplete/",
        {"term": term, "app_label": "articles", "model_name": model, "field_name": field},
    )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_change_list_shows_scheduled_status_and_filters_by_status(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    ArticleFactory(headline="Tomorrow's story", published_at=timezone.now() + timedelta(days=1))
    ArticleFactory(headline="A draft", status=Article.Status.DRAFT, published_at=None)

    html = admin_client.get("/admin/articles/article/").content.decode()
    assert "Scheduled" in html
    filtered = admin_client.get("/admin/articles/article/?state=draft").content.decode()
    assert "A draft" in filtered and "Tomorrow" not in filtered
    scheduled = admin_client.get("/admin/articles/article/?state=scheduled").content.decode()
    assert "Tomorrow" in scheduled and "A draft" not in scheduled


def test_tag_box_suggests_existing_tags(admin_client):
    ArticleFactory(tags=["river wend", "transport", "wendshire council", "housing"])

    form = admin_client.get("/admin/articles/article/add/").content.decode()
    response = admin_client.get("/admin/articles/article/tags/suggest/", {"q": "wen"})

    assert 'data-tag-suggest-url="/admin/articles/article/tags/suggest/"' in form
    assert response.json() == {"results": ["wendshire council", "river wend"]}


def test_tag_suggestions_are_for_staff_only(client):
    response = client.get("/admin/articles/article/tags/suggest/", {"q": "wen"})

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_image_thumbnail_link_leads_staff_to_the_smallest_rendition(admin_client, client):
    image = ImageFactory()
    url = f"/admin/articles/image/{image.pk}/thumbnail/"

    response = admin_client.get(url)

    assert response.status_code == 302
    assert response["Location"] == image.renditions("jpg")[0].url
    assert admin_client.get("/admin/articles/image/999999/thumbnail/").status_code == 404
    assert "/admin/login/" in client.get(url)["Location"]


def test_image_choosers_carry_the_preview_link(admin_client):
    html = admin_client.get("/admin/articles/article/add/").content.decode()

    assert 'data-image-preview="/admin/articles/image/0/thumbnail/"' in html
    assert "data-image-preview-target" in html


@pytest.fixture
def journalist(login_as, client):
    login_as("Journalist")
    return client


def test_a_journalist_cannot_publish_even_with_a_forged_post(journalist):
    section = SectionFactory(slug="news")

    response = journalist.post(
        "/admin/articles/article/add/",
        article_form(section, status="published", published_at_0="2026-01-01", published_at_1="09:00"),
    )

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert not Article.objects.exists()


def test_a_journalist_submits_for_review_and_cannot_set_the_publication_time(journalist):
    section = SectionFactory(slug="news")

    response = journalist.post(
        "/admin/articles/article/add/",
        article_form(section, status="review", published_at_0="2026-01-01", published_at_1="09:00"),
    )

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.status == Article.Status.REVIEW
    assert article.published_at is None


def test_a_journalist_cannot_change_published_work_even_by_a_forged_post(journalist):
    article = ArticleFactory(headline="Old headline")

    page = journalist.get(f"/admin/articles/article/{article.pk}/change/")
    response = journalist.post(
        f"/admin/articles/article/{article.pk}/change/",
        article_form(article.section, headline="Forged headline", slug=article.slug, status="draft"),
    )

    assert page.status_code == 200 and "Save and publish" not in page.content.decode()  # read-only view
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline == "Old headline" and article.is_live


def test_picking_an_article_as_related_to_itself_is_a_form_error_not_a_crash(admin_client):
    article = ArticleFactory()

    response = admin_client.post(
        f"/admin/articles/article/{article.pk}/change/",
        article_form(
            article.section,
            slug=article.slug,
            status="published",
            **inline_management(related_links=1),
            **{"related_links-0-to_article": article.pk, "related_links-0-order": "0"},
        ),
    )

    assert response.status_code == 200
    assert "cannot be related to itself" in response.content.decode()


def test_an_overlong_tag_is_a_form_error_that_keeps_the_typing(admin_client):
    section = SectionFactory(slug="news")
    long_tag = "x" * 150

    response = admin_client.post(
        "/admin/articles/article/add/", article_form(section, status="draft", tags=f"river wend, {long_tag}")
    )

    assert response.status_code == 200
    assert "at most 100 characters" in str(response.context["adminform"].form.errors["tags"])
    assert long_tag in response.content.decode()
    assert not Article.objects.exists()
