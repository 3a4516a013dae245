"""The embeds' page in the back office: what each provider said and why one is a plain link; fetch again."""

import pytest

from embeds.models import Embed

pytestmark = pytest.mark.django_db

LIST = "/admin/embeds/embed/"


@pytest.fixture
def failed():
    return Embed.objects.create(
        url="https://www.openstreetmap.org/#map=15/52.20500/0.11900",
        provider="openstreetmap",
        status=Embed.Status.FAILED,
        error="the provider could not be reached",
    )


@pytest.mark.parametrize("role", ["Journalist", "Editor"])
def test_journalists_and_editors_see_why_an_embed_is_a_link_and_fetch_it_again(
    client, login_as, role, failed, django_capture_on_commit_callbacks
):
    login_as(role)
    listing = client.get(LIST)
    page = client.get(f"{LIST}{failed.pk}/change/")
    assert listing.status_code == 200 and failed.url in listing.text
    assert page.status_code == 200 and "the provider could not be reached" in page.text
    assert "Save" not in page.text  # nothing of it is theirs to change

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, {"action": "fetch_again", "_selected_action": [failed.pk]}, follow=True)

    assert "1 embed(s) will be fetched again" in response.text
    failed.refresh_from_db()
    assert failed.status == Embed.Status.READY  # a map needs no fetch: resolved at once by the worker
    assert failed.frame_url.startswith("https://www.openstreetmap.org/export/embed.html?")


def test_audience_staff_see_no_embeds_and_no_one_adds_one_by_hand(client, login_as, admin_client, failed):
    login_as("Audience")
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"action": "fetch_again", "_selected_action": [failed.pk]}).status_code == 403
    assert admin_client.get(f"{LIST}add/").status_code == 403
