"""Tags show on every published story: only editors rename them, and nobody gets taggit's merge, which moved
only taggit's own tag links and so left every article's tags as they were."""

import pytest
from taggit.models import Tag

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/taggit/tag/"


@pytest.mark.parametrize("role", ["Journalist", "Audience"])
def test_only_editors_rename_tags_even_by_a_forged_post(client, login_as, role):
    login_as(role)
    tag = Tag.objects.create(name="flood")

    response = client.post(f"{LIST}{tag.pk}/change/", {"name": "flooding", "slug": "flooding"})

    assert response.status_code == 403
    assert Tag.objects.get(pk=tag.pk).name == "flood"


def test_a_journalist_sees_a_tag_they_may_not_rename(client, login_as):
    login_as("Journalist")
    tag = Tag.objects.create(name="flood")

    response = client.get(f"{LIST}{tag.pk}/change/")

    assert response.status_code == 200
    assert "flood" in response.text and 'name="slug"' not in response.text


def test_an_editor_renames_a_tag_and_its_articles_follow(client, login_as):
    login_as("Editor")
    story = ArticleFactory(tags=["flood"])
    tag = Tag.objects.get(name="flood")

    response = client.post(f"{LIST}{tag.pk}/change/", {"name": "Flooding", "slug": "flood"})

    assert response.status_code == 302
    assert list(story.tags.names()) == ["Flooding"]


def test_there_is_no_merge_that_would_leave_articles_tagged_as_before(client, login_as):
    login_as("Editor")
    flood, floods = Tag.objects.create(name="flood"), Tag.objects.create(name="floods")

    client.post(LIST, {"action": "render_tag_form", "_selected_action": [flood.pk, floods.pk]})

    response = client.post(f"{LIST}merge-tags/", {"new_tag_name": "flooding"})

    assert response.status_code == 302 and response["Location"].endswith("/merge-tags/change/")  # no such page
    assert not Tag.objects.filter(name="flooding").exists()
