"""An edition's web version and a newsletter's archive: only what went out, in the site's design, cached and at
a constant number of queries."""

import datetime

import pytest
from django.utils import timezone

from articles.models import Article
from newsletter.editions import edition_cancel
from newsletter.models import Edition, EditionItem, Newsletter
from tests.factories import ArticleFactory, EditionFactory, ImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def the_daily():
    return Newsletter.objects.get(slug="the-daily")


def sent_edition(day=None, *, articles=(), **fields):
    return EditionFactory(
        issue_date=day or timezone.localdate(),
        articles=list(articles),
        status=Edition.Status.SENT,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        **fields,
    )


def days_ago(n):
    return timezone.localdate() - datetime.timedelta(days=n)


def test_the_web_version_shows_the_intro_and_each_story_with_its_picture_and_blurb(client):
    pictured = ArticleFactory(kicker="Exclusive", lead_image=ImageFactory())
    plain = ArticleFactory()
    edition = sent_edition(articles=[pictured, plain], intro="<p>Good <strong>morning</strong>.</p>")
    EditionItem.objects.filter(article=plain).update(blurb="Our own line.")

    response = client.get(f"/newsletter/the-daily/{edition.issue_date:%Y-%m-%d}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<p>Good <strong>morning</strong>.</p>" in page
    assert page.index(pictured.headline) < page.index(plain.headline)
    assert "<picture" in page and "Exclusive" in page and "Our own line." in page
    assert pictured.standfirst in page
    assert 'type="email"' in page  # the sign-up form, as on every public page
    assert "/newsletter/the-daily/archive/" in page


@pytest.mark.parametrize("status", ["draft", "scheduled", "cancelled"])
def test_an_edition_that_did_not_go_out_is_not_found(client, status):
    edition = EditionFactory(status=status, articles=[ArticleFactory()])

    assert client.get(edition.get_absolute_url()).status_code == 404
    archive = client.get("/newsletter/the-daily/archive/")
    assert edition.get_absolute_url() not in archive.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/newsletter/the-daily/2026-13-45/",
        "/newsletter/the-daily/yesterday/",
        "/newsletter/the-daily/1999-01-01/",
        "/newsletter/no-such-letter/2026-01-01/",
        "/newsletter/no-such-letter/archive/",
        "/newsletter/the-daily/archive/?page=2",
        "/newsletter/the-daily/archive/?page=0",
        "/newsletter/the-daily/archive/?page=-1",
        "/newsletter/the-daily/archive/?page=abc",
    ],
)
def test_bad_addresses_are_not_found(client, path):
    sent_edition(articles=[ArticleFactory()])

    assert client.get(path).status_code == 404


def test_a_story_unpublished_since_drops_out_of_the_web_version(client):
    kept, pulled = ArticleFactory(), ArticleFactory()
    edition = sent_edition(articles=[kept, pulled])
    Article.objects.filter(pk=pulled.pk).update(status=Article.Status.DRAFT)

    page = client.get(edition.get_absolute_url()).content.decode()

    assert kept.headline in page and pulled.headline not in page


def test_the_archive_lists_what_went_out_newest_first_thirty_a_page(client, the_daily):
    story = ArticleFactory()
    for n in range(31):
        sent_edition(days_ago(n), articles=[story], subject=f"Edition of {days_ago(n):%d %B}")

    first = client.get("/newsletter/the-daily/archive/").content.decode()
    second = client.get("/newsletter/the-daily/archive/?page=2").content.decode()

    assert first.index(f"Edition of {days_ago(0):%d %B}") < first.index(f"Edition of {days_ago(1):%d %B}")
    assert f"Edition of {days_ago(30):%d %B}" not in first
    assert f"Edition of {days_ago(30):%d %B}" in second
    assert 'rel="next"' in first and "Page 2 of 2" in second


def test_the_sign_up_page_links_the_archive(client):
    assert "/newsletter/the-daily/archive/" in client.get("/newsletter/").content.decode()


def test_the_pages_are_cached_and_move_on_when_an_edition_goes_out_or_is_cancelled(client):
    story = ArticleFactory()
    draft = EditionFactory(articles=[story], subject="Not yet")
    archive = "/newsletter/the-daily/archive/"
    assert client.get(archive)["X-Page-Cache"] == "miss"
    assert client.get(archive)["X-Page-Cache"] == "hit"

    draft.status, draft.started_at = Edition.Status.SENDING, timezone.now()
    draft.save()  # as sending starts
    assert "Not yet" in client.get(archive).content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 200

    edition_cancel(edition=draft, user=None)
    assert "Not yet" not in client.get(archive).content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_an_edit_of_a_sent_editions_intro_shows_at_once(client):
    edition = sent_edition(articles=[ArticleFactory()], intro="<p>Before.</p>")
    assert "Before." in client.get(edition.get_absolute_url()).content.decode()

    edition.intro = "<p>After.</p>"
    edition.save()

    assert "After." in client.get(edition.get_absolute_url()).content.decode()


@pytest.fixture(params=[1, 12], ids=["one", "many"])
def editions(request):
    n = request.param
    stories = [ArticleFactory(lead_image=ImageFactory() if i % 2 else None) for i in range(n)]
    return [sent_edition(days_ago(i), articles=stories) for i in range(n)]


def test_web_version_query_count(client, django_assert_num_queries, editions):
    # The edition with its newsletter; its published stories with their sections and lead images.
    with django_assert_num_queries(2):
        assert client.get(editions[0].get_absolute_url()).status_code == 200


def test_archive_query_count(client, django_assert_num_queries, editions):
    # The newsletter; the count of its public editions (for the pages); one page of them.
    with django_assert_num_queries(3):
        assert client.get("/newsletter/the-daily/archive/").status_code == 200
