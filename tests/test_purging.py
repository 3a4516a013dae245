"""Committed changes are purged from every caching proxy by their keys, by a task that tries until the proxy
answers; nothing is sent without proxies. The proxies here are tiny HTTP servers on loopback, in a thread."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.signals import task_retry
from celery.utils.time import get_exponential_backoff_interval
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from articles.models import Article, Section
from articles.services import article_publish
from newsroom import freshness, purging
from newsroom.tasks import purge_proxy, release_scheduled
from tests.factories import ArticleFactory, SectionFactory
from tests.workers import ROOT, free_port


class Proxy:
    """Answers each PURGE with the next status given (the last one from then on), and keeps what it was sent."""

    def __init__(self, *statuses: int, port: int | None = None):
        self.statuses = list(statuses) or [200]
        self.purges: list[dict] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self):
                proxy.purges.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                status = proxy.statuses.pop(0) if len(proxy.statuses) > 1 else proxy.statuses[0]
                self.send_response(status)
                if status == 200:
                    self.send_header("purged", str(len(self.headers["xkey-purge"].split())))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def keys(self) -> list[set[str]]:
        return [set(purge["xkey-purge"].split()) for purge in self.purges]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxies(settings):
    """Two proxies, named in CACHE_PROXIES."""
    started = [Proxy(), Proxy()]
    settings.CACHE_PROXIES = [proxy.url for proxy in started]
    yield started
    for proxy in started:
        proxy.stop()


@pytest.fixture
def retries():
    """The retries of tasks run here: (the error, the countdown) of each."""
    seen = []

    def record(sender=None, reason=None, **kwargs):
        seen.append((reason.exc, reason.when))

    task_retry.connect(record, weak=False)
    yield seen
    task_retry.disconnect(record)


@pytest.mark.django_db
def test_a_publish_is_purged_from_every_proxy_by_what_it_affects_twice(
    proxies, admin_user, django_capture_on_commit_callbacks
):
    section = SectionFactory()
    article = ArticleFactory(status=Article.Status.DRAFT, section=section)

    with django_capture_on_commit_callbacks(execute=True):
        article_publish(article=article, user=admin_user)

    for proxy in proxies:
        # Each purge, then the same again a few seconds later (at once here, where tasks run eagerly). On
        # PostgreSQL the search index's update after the commit is a change of its own ("search"), purged too.
        sent = [purge["xkey-purge"] for purge in proxy.purges]
        assert sent and all(sent.count(value) == 2 for value in sent)
        assert {"all", f"article:{article.pk}", "front", f"section-list:{section.pk}", "feeds"} <= proxy.keys()[0]
        assert all(purge["path"] == "/" for purge in proxy.purges)


@pytest.mark.django_db
def test_nothing_is_purged_before_the_commit_nor_after_a_rollback(proxies):
    with transaction.atomic():
        freshness.changed("front")
        assert proxies[0].purges == []
        transaction.set_rollback(True)

    assert proxies[0].purges == []


@pytest.mark.django_db(transaction=True)
def test_the_changes_of_one_transaction_are_purged_together(proxies):
    with transaction.atomic():
        freshness.changed("front")
        freshness.changed("article:1")

    assert proxies[0].keys() == [{"all", "front", "article:1"}] * 2


@pytest.mark.django_db
def test_nothing_is_queued_without_proxies(settings, admin_user, monkeypatch, django_capture_on_commit_callbacks):
    settings.CACHE_PROXIES = []
    queued = []
    monkeypatch.setattr(purge_proxy, "apply_async", lambda *args, **kwargs: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        article_publish(article=ArticleFactory(status=Article.Status.DRAFT), user=admin_user)

    assert queued == []


def test_a_refused_connection_is_retried_until_the_proxy_answers(retries):
    port = free_port()  # nothing listens there yet
    started = []

    def start_listening(**kwargs):
        if not started:
            started.append(Proxy(port=port))

    task_retry.connect(start_listening, weak=False)
    try:
        result = purge_proxy.apply(args=(f"http://127.0.0.1:{port}", ["article:1", "front"], False))
    finally:
        task_retry.disconnect(start_listening)

    assert result.successful() and result.result == 2
    assert isinstance(retries[0][0], ConnectionRefusedError)
    assert retries[0][1] == 1  # seconds before the first retry
    assert started[0].keys() == [{"article:1", "front"}]
    started[0].stop()


def test_a_server_error_is_retried_with_a_growing_wait(retries):
    proxy = Proxy(503, 502, 200)

    result = purge_proxy.apply(args=(proxy.url, ["front"], False))
    proxy.stop()

    assert result.successful() and result.result == 1
    assert len(proxy.purges) == 3
    assert [when for _, when in retries] == [1, 2]


def test_the_wait_between_retries_grows_to_a_minute_and_they_never_stop():
    waits = [
        get_exponential_backoff_interval(
            factor=purge_proxy.retry_backoff,
            retries=retries,
            maximum=purge_proxy.retry_backoff_max,
            full_jitter=purge_proxy.retry_jitter,
        )
        for retries in range(10)
    ]

    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert purge_proxy.max_retries is None
    assert purge_proxy.acks_late


def test_a_proxy_that_refuses_the_purge_is_not_asked_again(retries, caplog):
    proxy = Proxy(403)

    result = purge_proxy.apply(args=(proxy.url, ["front"], False))
    proxy.stop()

    assert result.successful() and result.result is None
    assert len(proxy.purges) == 1 and retries == []
    assert "refused to purge (403)" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_change_is_saved_and_purged_once_from_here(proxies, monkeypatch, caplog):
    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(purge_proxy, "apply_async", broker_down)

    section = Section.objects.create(name="Weather", slug="weather")

    assert Section.objects.filter(pk=section.pk).exists()
    for proxy in proxies:
        assert len(proxy.purges) == 1  # once, and not again: no worker is told to
        assert f"section:{section.pk}" in proxy.keys()[0]
    assert "Could not queue the purge" in caplog.text


def test_long_lists_of_keys_go_in_several_purges():
    keys = {f"article:{n}" for n in range(2000)}

    values = purging.batches(keys)

    assert len(values) > 1
    assert all(len(value) <= purging.MAX_HEADER_CHARS for value in values)
    assert {key for value in values for key in value.split()} == keys


def test_each_batch_is_a_purge_and_their_counts_add_up():
    proxy = Proxy()

    purged = purging.purge(proxy.url, [f"tag-list:{n}" for n in range(1000)])
    proxy.stop()

    assert len(proxy.purges) > 1 and purged == 1000


@pytest.mark.django_db
def test_a_scheduled_story_going_out_is_purged_without_a_readers_request(proxies, admin_user, monkeypatch):
    at = timezone.now() + timedelta(minutes=5)
    article = ArticleFactory(status=Article.Status.DRAFT)
    article_publish(article=article, user=admin_user, at=at)
    freshness.snapshot()  # the schedule is known
    for proxy in proxies:
        proxy.purges.clear()

    later = at + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    release_scheduled.apply()

    assert {f"article:{article.pk}", "front", "all"} <= proxies[0].keys()[0]
    assert len(proxies[1].purges) == 2


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    """Python in a fresh process, with the settings the environment gives (as a worker starts)."""
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings", "DEBUG": "1", **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )


def test_a_worker_knows_the_tasks_and_with_proxies_the_scheduler_lets_stories_out():
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from newsroom.celery import app\n"
        "app.loader.import_default_modules()\n"
        "print(sorted(name for name in app.tasks if name.startswith('newsroom.')))\n"
        "print(sorted(entry['task'] for entry in settings.CELERY_BEAT_SCHEDULE.values()))\n"
    )

    result = run_python(code, CACHE_PROXIES="http://10.0.0.5:6081/, http://10.0.0.6:6081")

    assert result.returncode == 0, result.stderr
    tasks, scheduled = result.stdout.splitlines()[-2:]
    assert tasks == (
        "['newsroom.tasks.account_notice_send', 'newsroom.tasks.password_reset_send', 'newsroom.tasks.purge_proxy', "
        "'newsroom.tasks.release_scheduled']"
    )
    assert "newsroom.tasks.release_scheduled" in scheduled


def test_cache_proxies_must_be_base_urls():
    result = run_python("import django; django.setup()", CACHE_PROXIES="10.0.0.5:6081")

    assert result.returncode != 0
    assert "CACHE_PROXIES must list base URLs" in result.stderr
