"""An edition's web version and the archive: only what went out, cached until it changes."""

import pytest
from django.utils import timezone

from newsletter.models import EditionItem
from tests.factories import ArticleFactory, EditionFactory

pytestmark = pytest.mark.django_db


def sent_edition(**kwargs):
    return EditionFactory(
        articles=[ArticleFactory(headline="Harbour wall repaired")],
        status="sent",
        started_at=timezone.now(),
        rendered_subject="Harbour wall repaired, and more",
        **kwargs,
    )


def test_the_web_version_shows_the_sent_edition_and_the_archive_lists_it(client):
    edition = sent_edition()

    page = client.get(edition.get_absolute_url())
    archive = client.get("/newsletter/the-daily/archive/")

    assert page.status_code == 200 and "Harbour wall repaired" in page.content.decode()
    assert archive.status_code == 200 and edition.get_absolute_url() in archive.content.decode()


@pytest.mark.parametrize(
    "path", ["/newsletter/the-daily/2026-13-45/", "/newsletter/the-daily/yesterday/", "/newsletter/nobody/archive/"]
)
def test_nonsense_addresses_are_404(client, path):
    assert client.get(path).status_code == 404


def test_a_draft_has_no_web_version_and_is_not_in_the_archive(client):
    draft = EditionFactory(articles=[ArticleFactory()])

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert draft.get_absolute_url() not in client.get("/newsletter/the-daily/archive/").content.decode()


def test_a_bad_archive_page_number_is_404(client):
    sent_edition()
    assert client.get("/newsletter/the-daily/archive/?page=99").status_code == 404
    assert client.get("/newsletter/the-daily/archive/?page=x").status_code == 404


def test_the_cached_web_version_changes_when_the_edition_does(client, django_capture_on_commit_callbacks):
    edition = sent_edition()
    assert "A new line" not in client.get(edition.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        item = EditionItem.objects.get(edition=edition)
        item.blurb = "A new line for the web version"
        item.save()

    assert "A new line for the web version" in client.get(edition.get_absolute_url()).content.decode()
