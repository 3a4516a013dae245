"""Editors choose the home page's top stories; the latest news fills the rest of the row."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles.models import Article
from articles.services import article_set_top_story
from tests.admin_forms import change_url, form_data
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def hours_ago(hours):
    return timezone.now() - timedelta(hours=hours)


def test_editors_top_stories_lead_the_home_page_then_the_latest(client):
    for i in range(10):
        ArticleFactory(headline=f"Latest {i}", published_at=hours_ago(i))
    ArticleFactory(headline="Chosen older", published_at=hours_ago(30), top_story=True)
    ArticleFactory(headline="Chosen newer", published_at=hours_ago(20), top_story=True)

    context = client.get("/").context

    assert context["lead"].headline == "Chosen newer"
    assert [a.headline for a in context["latest"]] == [
        "Chosen older",
        "Latest 0",
        "Latest 1",
        "Latest 2",
        "Latest 3",
        "Latest 4",
    ]


def test_an_unpublished_top_story_stays_off_the_home_page(client):
    ArticleFactory(headline="Pulled story", top_story=True, status=Article.Status.DRAFT)
    ArticleFactory(headline="Later today", top_story=True, published_at=timezone.now() + timedelta(hours=2))
    ArticleFactory(headline="Live story")

    assert client.get("/").context["lead"].headline == "Live story"


def test_an_editor_makes_top_stories_from_the_change_list_and_it_is_logged(client, login_as):
    editor = login_as("Editor")
    article = ArticleFactory(headline="Flood warning")
    updated_at = article.updated_at

    client.post("/admin/articles/article/", {"action": "make_top_story", "_selected_action": [article.pk]})

    article.refresh_from_db()
    assert article.top_story
    assert article.updated_at == updated_at, "readers must not see the story marked as updated"
    assert LogEntry.objects.filter(object_id=str(article.pk), user=editor, change_message="Made a top story.").exists()

    client.post("/admin/articles/article/", {"action": "remove_top_story", "_selected_action": [article.pk]})
    article.refresh_from_db()
    assert not article.top_story


def test_a_form_opened_before_the_top_story_choice_cannot_quietly_undo_it(client, login_as):
    editor = login_as("Editor")
    article = ArticleFactory(headline="Flood warning")
    opened = form_data(article, str(article.version))

    article_set_top_story(article=article, user=editor, top_story=True)
    response = client.post(change_url(article), opened)

    assert response.status_code == 200  # the conflict page, not a save
    article.refresh_from_db()
    assert article.top_story


def test_journalists_cannot_choose_top_stories(client, login_as):
    journalist = login_as("Journalist")
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, created_by=journalist)
    live = ArticleFactory()

    client.post("/admin/articles/article/", {"action": "make_top_story", "_selected_action": [live.pk]})
    client.post(change_url(draft), {**form_data(draft, str(draft.version)), "top_story": "on"})

    assert not Article.objects.filter(top_story=True).exists()
    with pytest.raises(PermissionDenied):
        article_set_top_story(article=live, user=journalist, top_story=True)


def test_unpublishing_takes_an_article_out_of_the_top_stories(admin_user):
    from articles.services import article_unpublish

    article = ArticleFactory(top_story=True)

    article_unpublish(article=article, user=admin_user)

    assert not Article.objects.get(pk=article.pk).top_story
