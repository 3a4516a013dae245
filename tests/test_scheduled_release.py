"""A scheduled story goes out on every page that lists it, however its save, an editor's change and the release
of due stories interleave (newsroom/freshness.py, articles/dependencies.py), on SQLite and PostgreSQL, with the
local-memory cache and Redis."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from articles.models import Article
from articles.services import article_publish, article_save
from newsroom import freshness
from newsroom.tasks import release_scheduled
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["local memory", "redis"])
def backend(request):
    if request.param == "redis":
        request.getfixturevalue("real_redis")
    return request.param


@pytest.fixture
def clock(monkeypatch):
    """The site's clock, moved on by the test."""
    now = [timezone.now().replace(microsecond=0)]
    monkeypatch.setattr(timezone, "now", lambda: now[0])

    def move(**delta):
        now[0] += timedelta(**delta)
        return now[0]

    move.now = lambda: now[0]
    return move


@pytest.fixture
def front(backend, admin_user):
    """A front page with one story on it, cached."""
    section = SectionFactory(name="News", slug="news")
    ArticleFactory(headline="Already out", section=section)
    reader = Client()
    assert reader.get("/").status_code == 200
    assert reader.get("/")["X-Page-Cache"] == "hit"
    return reader


def shows(reader, headline: str, url: str = "/") -> bool:
    return headline.encode() in reader.get(url).content


def test_a_story_whose_time_comes_before_its_save_commits_still_goes_out(front, admin_user, clock):
    """The save began before the story's time and committed after a release had looked for due stories."""
    at = clock(seconds=0) + timedelta(seconds=30)
    saved, commit = threading.Event(), threading.Event()
    failures = []

    def editor():
        try:
            with transaction.atomic():
                story = ArticleFactory(headline="Night works on the bridge", status=Article.Status.DRAFT)
                article_publish(article=story, user=admin_user, at=at)
                saved.set()
                assert commit.wait(10)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
            saved.set()
        finally:
            connection.close()

    thread = threading.Thread(target=editor)
    thread.start()
    assert saved.wait(10)
    clock(seconds=31)  # its time has come, while its save is not committed
    release_scheduled.apply()  # the release does not see it yet
    assert not shows(front, "Night works on the bridge")
    commit.set()
    thread.join(10)
    assert not failures

    clock(seconds=5)
    release_scheduled.apply()  # the next release

    assert shows(front, "Night works on the bridge")
    assert shows(front, "Night works on the bridge", "/sections/news/")


def test_a_time_an_editor_sets_while_due_stories_are_released_is_kept(front, admin_user, clock, monkeypatch):
    """An editor schedules a story, and it commits, while the release of another is under way."""
    first = ArticleFactory(headline="Morning briefing", status=Article.Status.DRAFT)
    article_publish(article=first, user=admin_user, at=clock() + timedelta(minutes=1))
    freshness.snapshot()  # the schedule is known
    later = clock() + timedelta(minutes=10)
    read_during_release = freshness._next_due
    evening = ArticleFactory(headline="Evening briefing", status=Article.Status.DRAFT)
    scheduled_meanwhile = []

    def next_due_while_an_editor_schedules(*args):
        found = read_during_release(*args)
        if not scheduled_meanwhile:  # once: between the release's reading and its writing
            scheduled_meanwhile.append(evening)
            article_publish(article=evening, user=admin_user, at=later)
        return found

    clock(minutes=2)
    monkeypatch.setattr(freshness, "_next_due", next_due_while_an_editor_schedules)
    release_scheduled.apply()
    monkeypatch.setattr(freshness, "_next_due", read_during_release)
    assert scheduled_meanwhile
    assert shows(front, "Morning briefing")
    assert not shows(front, "Evening briefing")

    clock(minutes=9)
    release_scheduled.apply()

    assert shows(front, "Evening briefing")


def test_a_story_moved_later_while_it_is_being_released_goes_out_at_its_new_time(front, admin_user, clock):
    story = ArticleFactory(headline="Council vote", status=Article.Status.DRAFT)
    article_publish(article=story, user=admin_user, at=clock() + timedelta(minutes=1))
    freshness.snapshot()
    clock(minutes=2)
    moved = []

    def move_it_later(keys):
        if not moved and f"article:{story.pk}" in keys:  # the release has read the story as due
            current = Article.objects.get(pk=story.pk)
            current.published_at = clock.now() + timedelta(minutes=30)
            moved.append(article_save(article=current, user=admin_user, expected_version=current.version))

    freshness.on_committed(move_it_later)
    try:
        release_scheduled.apply()
    finally:
        freshness._listeners.remove(move_it_later)
    assert moved
    assert not shows(front, "Council vote")

    clock(minutes=31)
    release_scheduled.apply()

    assert shows(front, "Council vote")


def test_stories_due_by_the_thousand_all_go_out_in_one_release(front, clock):
    """A restore or a bulk load leaves many stories due and not yet out: one release lets every one out, and the
    next request finds nothing left to release (an unbounded statement failed, and every page stayed stale)."""
    stories = [ArticleFactory.build(headline=f"Restored story {n}", section=None) for n in range(1_200)]
    section = Article.objects.first().section
    for story in stories:
        story.section = section
    Article.objects.bulk_create(stories)  # no save(): nothing marks them released
    freshness.rescheduled()
    assert Article.objects.published().filter(released_at__isnull=True).count() == 1_200

    release_scheduled()

    assert not Article.objects.published().filter(released_at__isnull=True).exists()
    assert freshness.snapshot().schedule.next_at is None  # nothing left due, so no request releases again
