from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles.models import Article, Correction
from articles.services import WorkflowError, article_publish, article_submit, article_unpublish
from tests.admin_forms import change_url, form_data
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return ArticleFactory(headline="Quarry plan", slug="quarry-plan", status=Article.Status.DRAFT, published_at=None)


def test_a_journalist_submits_for_review_with_the_forms_button(client, login_as, draft):
    draft.created_by = login_as("Journalist")
    draft.save()

    response = client.post(change_url(draft), {**form_data(draft, "1"), "_submit_for_review": "1"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Article.Status.REVIEW
    assert LogEntry.objects.filter(object_id=str(draft.pk), change_message="Submitted for review.").exists()


def test_a_journalists_forged_publish_button_publishes_nothing(client, login_as, draft):
    draft.created_by = login_as("Journalist")
    draft.save()

    response = client.post(change_url(draft), {**form_data(draft, "1"), "_publish_now": "1"}, follow=True)

    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
    assert "Only editors can publish" in response.content.decode()


def test_a_journalist_cannot_run_the_publish_action(client, login_as, draft):
    login_as("Journalist")

    client.post("/admin/articles/article/", {"action": "publish_now", "_selected_action": [draft.pk]})

    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def test_an_editor_publishes_from_the_change_list_and_it_is_logged(client, login_as, draft):
    login_as("Editor")

    client.post("/admin/articles/article/", {"action": "publish_now", "_selected_action": [draft.pk]})

    draft.refresh_from_db()
    assert draft.is_live
    assert LogEntry.objects.filter(object_id=str(draft.pk), change_message="Published.").exists()
    assert client.get("/articles/quarry-plan/").status_code == 200


def test_a_scheduled_article_is_404_before_its_time_and_live_after(client, admin_user, draft, monkeypatch):
    at = timezone.now() + timedelta(hours=2)
    article_publish(article=draft, user=admin_user, at=at)

    assert client.get("/articles/quarry-plan/").status_code == 404
    assert "Quarry plan" not in client.get("/").content.decode()

    later = at + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get("/articles/quarry-plan/").status_code == 200
    assert "Quarry plan" in client.get("/").content.decode()


def test_the_change_list_shows_scheduled_articles_as_scheduled(admin_client, admin_user, draft):
    article_publish(article=draft, user=admin_user, at=timezone.now() + timedelta(days=1))

    assert "Scheduled" in admin_client.get("/admin/articles/article/").content.decode()


def test_nobody_publishes_or_schedules_before_the_embargo(admin_user, draft):
    draft.embargo_until = timezone.now() + timedelta(days=1)
    draft.save()

    with pytest.raises(WorkflowError, match="embargoed until"):
        article_publish(article=draft, user=admin_user)
    with pytest.raises(WorkflowError):
        article_publish(article=draft, user=admin_user, at=draft.embargo_until - timedelta(minutes=1))
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT

    article_publish(article=draft, user=admin_user, at=draft.embargo_until)
    assert draft.is_scheduled


def test_the_admin_form_refuses_a_publication_time_before_the_embargo(admin_client, draft):
    draft.embargo_until = timezone.now() + timedelta(days=1)
    draft.save()
    early = timezone.localtime(timezone.now() + timedelta(hours=1))

    response = admin_client.post(
        change_url(draft),
        {
            **form_data(draft, str(draft.version), status="published"),
            "published_at_0": early.strftime("%Y-%m-%d"),
            "published_at_1": early.strftime("%H:%M:%S"),
            "embargo_until_0": timezone.localtime(draft.embargo_until).strftime("%Y-%m-%d"),
            "embargo_until_1": timezone.localtime(draft.embargo_until).strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 200
    assert "embargoed until" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def test_unpublishing_takes_the_article_off_the_site(client, admin_user):
    article = ArticleFactory(slug="gone")

    article_unpublish(article=article, user=admin_user)

    assert client.get("/articles/gone/").status_code == 404
    assert article.status == Article.Status.DRAFT


def test_only_editors_may_unpublish(login_as):
    journalist = login_as("Journalist")

    with pytest.raises(PermissionDenied):
        article_unpublish(article=ArticleFactory(), user=journalist)


def test_submitting_twice_is_a_clear_error(login_as, draft):
    journalist = login_as("Journalist")
    draft.created_by = journalist
    draft.save()
    article_submit(article=draft, user=journalist)

    with pytest.raises(WorkflowError, match="not a draft"):
        article_submit(article=draft, user=journalist)


def test_a_correction_is_shown_dated_and_marks_the_article_updated(client, login_as):
    article = ArticleFactory(slug="fair", published_at=timezone.now() - timedelta(days=2))
    article.first_published_at = article.published_at
    Article.objects.filter(pk=article.pk).update(
        first_published_at=article.published_at, updated_at=article.published_at
    )
    login_as("Editor")

    client.post(
        change_url(article),
        {
            **form_data(Article.objects.get(pk=article.pk), "1"),
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-text": "An earlier version said the fair began in 1276.",
            "corrections-0-published_at_0": timezone.localtime().strftime("%Y-%m-%d"),
            "corrections-0-published_at_1": timezone.localtime().strftime("%H:%M:%S"),
        },
    )

    correction = Correction.objects.get()
    assert correction.created_by.username == "editor"
    html = client.get("/articles/fair/").content.decode()
    assert "An earlier version said the fair began in 1276." in html
    assert "Updated" in html


def test_journalists_cannot_add_corrections(client, login_as):
    article = ArticleFactory()
    login_as("Journalist")

    html = client.get(change_url(article)).content.decode()

    assert "corrections-TOTAL_FORMS" not in html


def test_publishing_an_article_that_is_already_live_keeps_its_date(admin_user):
    article = ArticleFactory(published_at=timezone.now() - timedelta(days=5))
    published_at = article.published_at

    with pytest.raises(WorkflowError, match="already published"):
        article_publish(article=article, user=admin_user)

    article.refresh_from_db()
    assert article.published_at == published_at


def test_a_journalist_cannot_submit_someone_elses_draft(client, login_as, draft):
    login_as("Journalist")

    client.post("/admin/articles/article/", {"action": "submit_for_review", "_selected_action": [draft.pk]})

    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def test_a_journalist_is_offered_no_delete_of_an_own_draft_that_readers_have_seen(client, login_as):
    """Deleting what readers saw takes an editor, so the admin neither offers it nor takes a forged post."""
    journalist = login_as("Journalist")
    pulled = ArticleFactory(headline="Pulled story", created_by=journalist)
    article_unpublish(article=pulled, user=User.objects.create_superuser("boss"))
    fresh = ArticleFactory(headline="Fresh draft", status="draft", published_at=None, created_by=journalist)

    assert f"/{pulled.pk}/delete/" not in client.get(change_url(pulled)).text
    assert f"/{fresh.pk}/delete/" in client.get(change_url(fresh)).text
    assert 'value="delete_selected"' not in client.get("/admin/articles/article/").text
    assert client.get(f"/admin/articles/article/{pulled.pk}/delete/").status_code == 403

    forged = client.post(f"/admin/articles/article/{pulled.pk}/delete/", {"post": "yes"})
    assert forged.status_code == 403 and Article.objects.filter(pk=pulled.pk).exists()
    assert client.post(f"/admin/articles/article/{fresh.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=fresh.pk).exists()
