"""An embargo is lifted only by its own step, an editor's, in the log; no save clears it or publishes early."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles.models import Article
from articles.services import WorkflowError, article_lift_embargo, article_save
from tests.admin_forms import change_url, form_data

pytestmark = pytest.mark.django_db

LIST = "/admin/articles/article/"


@pytest.fixture
def embargoed():
    from tests.factories import ArticleFactory

    until = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    return ArticleFactory(
        headline="Budget embargoed", slug="budget", status=Article.Status.DRAFT, published_at=None, embargo_until=until
    )


def embargo_fields(at) -> dict[str, str]:
    at = timezone.localtime(at) if at else None
    return {
        "embargo_until_0": at.strftime("%Y-%m-%d") if at else "",
        "embargo_until_1": at.strftime("%H:%M:%S") if at else "",
    }


def test_a_save_that_clears_the_embargo_and_publishes_is_refused_and_keeps_the_typing(client, login_as, embargoed):
    login_as("Editor")
    until = embargoed.embargo_until

    response = client.post(
        change_url(embargoed),
        {**form_data(embargoed, "1", headline="Budget: what it means"), **embargo_fields(None), "_publish_now": "1"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Save and lift embargo" in html and "kept in the log" in html
    assert 'value="Budget: what it means"' in html
    embargoed.refresh_from_db()
    assert (embargoed.embargo_until, embargoed.status, embargoed.headline) == (until, "draft", "Budget embargoed")
    assert not LogEntry.objects.exists()
    assert client.get("/articles/budget/").status_code == 404


def test_the_form_moves_an_embargo_later_but_never_earlier(client, login_as, embargoed):
    login_as("Editor")
    until = embargoed.embargo_until

    earlier = client.post(
        change_url(embargoed), {**form_data(embargoed, "1"), **embargo_fields(until - timedelta(hours=1))}
    )
    later = client.post(
        change_url(embargoed), {**form_data(embargoed, "1"), **embargo_fields(until + timedelta(hours=1))}
    )

    assert earlier.status_code == 200 and "kept in the log" in earlier.content.decode()
    assert later.status_code == 302
    embargoed.refresh_from_db()
    assert embargoed.embargo_until == until + timedelta(hours=1)


def test_lifting_with_the_forms_button_is_logged_and_then_publishing_works(client, login_as, embargoed):
    editor = login_as("Editor")
    was = timezone.localtime(embargoed.embargo_until).strftime("%d %B %Y %H:%M")

    page = client.get(change_url(embargoed)).content.decode()
    lifted = client.post(
        change_url(embargoed),
        {**form_data(embargoed, "1"), **embargo_fields(embargoed.embargo_until), "_lift_embargo": "1"},
    )
    embargoed.refresh_from_db()
    published = client.post(
        change_url(embargoed), {**form_data(embargoed, str(embargoed.version)), "_publish_now": "1"}
    )

    assert 'name="_lift_embargo"' in page
    assert lifted.status_code == 302 and lifted["Location"] == change_url(embargoed)
    entry = LogEntry.objects.get(object_id=str(embargoed.pk), change_message__startswith="Embargo lifted")
    assert entry.user == editor and was in entry.change_message
    assert published.status_code == 302
    embargoed.refresh_from_db()
    assert embargoed.is_live and embargoed.embargo_until is None
    assert client.get("/articles/budget/").status_code == 200


def test_lifting_from_the_list_is_logged(client, login_as, embargoed):
    login_as("Editor")

    client.post(LIST, {"action": "lift_embargo", "_selected_action": [embargoed.pk]})

    embargoed.refresh_from_db()
    assert embargoed.embargo_until is None
    assert LogEntry.objects.filter(object_id=str(embargoed.pk), change_message__startswith="Embargo lifted").exists()


def test_a_journalist_cannot_lift_an_embargo_by_button_action_or_service(client, login_as, embargoed):
    journalist = login_as("Journalist")
    embargoed.created_by = journalist
    embargoed.save()
    until = embargoed.embargo_until

    page = client.get(change_url(embargoed)).content.decode()
    button = client.post(change_url(embargoed), {**form_data(embargoed, "1"), "_lift_embargo": "1"}, follow=True)
    client.post(LIST, {"action": "lift_embargo", "_selected_action": [embargoed.pk]})

    assert 'name="_lift_embargo"' not in page
    assert "Only editors can lift an embargo" in button.content.decode()
    with pytest.raises(PermissionDenied):
        article_lift_embargo(article=embargoed, user=journalist)
    embargoed.refresh_from_db()
    assert embargoed.embargo_until == until
    assert not LogEntry.objects.filter(change_message__startswith="Embargo lifted").exists()


def test_a_post_pressing_lift_and_publish_at_once_takes_neither_step(client, login_as, embargoed):
    login_as("Editor")
    until = embargoed.embargo_until

    client.post(
        change_url(embargoed),
        {**form_data(embargoed, "1"), **embargo_fields(until), "_lift_embargo": "1", "_publish_now": "1"},
    )

    embargoed.refresh_from_db()
    assert embargoed.embargo_until == until and not embargoed.is_live


def test_saving_cannot_clear_an_embargo_whoever_calls_it(admin_user, embargoed):
    embargoed.embargo_until = None

    with pytest.raises(WorkflowError, match="step of its own"):
        article_save(article=embargoed, user=admin_user, expected_version=embargoed.version)

    assert Article.objects.get(pk=embargoed.pk).embargo_until is not None


def test_lifting_an_article_without_an_embargo_is_a_clear_error(admin_user, embargoed):
    article_lift_embargo(article=embargoed, user=admin_user)

    with pytest.raises(WorkflowError, match="no embargo"):
        article_lift_embargo(article=embargoed, user=admin_user)
