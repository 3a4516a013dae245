"""Tags show on every published story: only editors rename or merge them in the admin."""

import pytest
from taggit.models import Tag

pytestmark = pytest.mark.django_db

LIST = "/admin/taggit/tag/"
MERGE = "/admin/taggit/tag/merge-tags/"


@pytest.mark.parametrize("role", ["Journalist", "Audience"])
def test_only_editors_merge_tags_even_by_a_forged_post(client, login_as, role):
    login_as(role)
    flood, floods = Tag.objects.create(name="flood"), Tag.objects.create(name="floods")

    client.post(LIST, {"action": "render_tag_form", "_selected_action": [flood.pk, floods.pk]})
    response = client.post(MERGE, {"new_tag_name": "flooding"})

    assert response.status_code == 403
    assert not Tag.objects.filter(name="flooding").exists()
    assert client.session.get("selected_tag_ids") is None


def test_an_editor_still_merges_tags(client, login_as):
    login_as("Editor")
    flood, floods = Tag.objects.create(name="flood"), Tag.objects.create(name="floods")

    client.post(LIST, {"action": "render_tag_form", "_selected_action": [flood.pk, floods.pk]})
    response = client.post(MERGE, {"new_tag_name": "flooding"})

    assert response.status_code == 302
    assert Tag.objects.filter(name="flooding").exists()
