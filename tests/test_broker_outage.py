"""A hung broker (accepting connections, never answering) costs a request that queues work one short wait, then
none while the breaker is open: the request answers as it does with the broker refused, its write kept, and the
scheduler's sweeps queue the work later. The broker here is a stand-in on loopback that either holds what it is
sent or passes it on to the real Redis or RabbitMQ the worker tests use."""

import os
import signal
import socket
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
import redis
from kombu import Connection

from articles.models import Image
from newsletter.models import Subscription
from newsroom import queueing
from newsroom.breaker import Breakers
from tests.admin_forms import change_url, form_data, opened_version
from tests.factories import ArticleFactory, image_bytes
from tests.test_purging import Proxy, run_python
from tests.workers import BROKERS, broker_answers, wait_for

pytestmark = pytest.mark.django_db

PROMPT = 3.0  # seconds: a request that queues work answers within this, broker or not


class TookTooLong(BaseException):
    """Not an Exception: nothing on the way up may swallow it."""


@contextmanager
def within(seconds: float):
    """Fail the test, rather than wait on, when what it does takes longer than `seconds`."""

    def expire(signum, frame):
        raise TookTooLong(f"still waiting after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class StandIn:
    """A broker's address on loopback: while hung it accepts connections and holds them, never answering; once
    passing, new connections are piped to the real broker's port."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.upstream: int | None = None
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def pass_to(self, port: int) -> None:
        self.upstream = port

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self.sockets.append(client)
            if self.upstream is not None:
                server = socket.create_connection(("127.0.0.1", self.upstream))
                self.sockets.append(server)
                for source, target in ((client, server), (server, client)):
                    threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()
        for held in self.sockets:
            held.close()
        self.thread.join(5)


URLS = {
    "redis": lambda port: f"redis://127.0.0.1:{port}/{BROKERS['redis'].rsplit('/', 1)[1] or 0}",
    "amqp": lambda port: f"amqp://guest:guest@127.0.0.1:{port}//",
}
REAL_PORTS = {"redis": 6379, "amqp": 5672}


@pytest.fixture(autouse=True)
def _fresh_breakers(monkeypatch):
    monkeypatch.setattr(queueing, "_breakers", Breakers())


@pytest.fixture
def publishing():
    """Tasks published for real (the suite otherwise runs them where they are queued), to a queue of this test's."""
    from newsroom.celery import app

    keys = ("task_always_eager", "broker_url", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    queue = f"test-{uuid.uuid4().hex[:10]}"

    def to(url: str) -> str:
        app.conf.update(task_always_eager=False, broker_url=url, task_default_queue=queue)
        _drop_connections(app)
        return queue

    yield to
    app.conf.update(saved)
    _drop_connections(app)


def _drop_connections(app) -> None:
    """The pools of the last broker forgotten (not `app.close()`: that unregisters the app, and a task module
    imported afterwards would not register its tasks with it). The stand-in closes what they held."""
    app.amqp._producer_pool = None
    app._pool = None


@pytest.fixture(params=["redis", "amqp"])
def hung_broker(request, publishing):
    stand_in = StandIn()
    publishing(URLS[request.param](stand_in.port))
    stand_in.scheme = request.param
    yield stand_in
    stand_in.close()


@contextmanager
def timed():
    took = {}
    started = time.monotonic()
    with within(PROMPT * 3):
        yield took
    took["seconds"] = time.monotonic() - started


def sign_up(client, email):
    data = {"email": email, "source": "/", "website": ""}
    return client.post("/newsletter/", data, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 (Reader)")


def test_a_signup_answers_at_once_with_a_hung_broker_and_the_sweep_sends_later(
    client, hung_broker, django_capture_on_commit_callbacks, caplog
):
    with timed() as took, django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, "reader@example.com")

    assert took["seconds"] < PROMPT
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.status == "pending" and subscription.confirmation_sent_at is None  # the sweep's to send
    assert "Could not queue newsletter.tasks.send_confirmation" in caplog.text


def test_an_image_upload_answers_at_once_with_a_hung_broker(
    admin_client, hung_broker, django_capture_on_commit_callbacks, caplog
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("quay.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    with timed() as took, django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/articles/image/add/", {"file": upload, "alt_text": "The quay"})

    assert took["seconds"] < PROMPT
    assert response.status_code == 302
    assert Image.objects.get().built_widths == []  # the renditions sweep makes them later
    assert "Could not queue articles.tasks.build_image_renditions" in caplog.text


def test_an_article_save_answers_at_once_and_purges_from_here_with_a_hung_broker(
    admin_client, hung_broker, settings, django_capture_on_commit_callbacks
):
    proxy = Proxy()
    settings.CACHE_PROXIES = [proxy.url]
    article = ArticleFactory(headline="Bridge closed")
    version = opened_version(admin_client.get(change_url(article)).content.decode())
    try:
        with timed() as took, django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(change_url(article), form_data(article, version, headline="Bridge reopens"))
    finally:
        proxy.stop()

    assert took["seconds"] < PROMPT
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "Bridge reopens"
    # From here, once (the broker's second purge a few seconds on is lost with it); on PostgreSQL the search
    # index's update after the commit purges "search" on its own.
    story_purges = [keys for keys in proxy.keys() if f"article:{article.pk}" in keys]
    assert len(story_purges) == 1


def test_the_breaker_spares_the_next_requests_the_wait(client, hung_broker, django_capture_on_commit_callbacks):
    with within(PROMPT * 3), django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "first@example.com")
    accepted = hung_broker.accepted

    with timed() as took, django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            assert sign_up(client, f"reader{n}@example.com").status_code == 302

    assert took["seconds"] < 0.5  # five sign-ups, no wait
    assert hung_broker.accepted == accepted  # the broker was not asked again
    assert Subscription.objects.count() == 6


def queued(scheme: str, queue: str) -> int:
    """The messages waiting in the real broker's queue."""
    if scheme == "redis":
        return redis.Redis.from_url(BROKERS["redis"]).llen(queue)
    with Connection(BROKERS["rabbitmq"], connect_timeout=2) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def forget(scheme: str, queue: str) -> None:
    if scheme == "redis":
        redis.Redis.from_url(BROKERS["redis"]).delete(queue)
        return
    with Connection(BROKERS["rabbitmq"], connect_timeout=2) as connection:
        connection.default_channel.queue_delete(queue)


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_queueing_resumes_once_the_broker_answers_again(
    client, publishing, scheme, settings, django_capture_on_commit_callbacks
):
    if not os.environ.get("CI") and not broker_answers("redis" if scheme == "redis" else "rabbitmq"):
        pytest.skip(f"{scheme} is not running here")
    settings.BROKER_BREAKER_SECONDS = 1
    stand_in = StandIn()
    queue = publishing(URLS[scheme](stand_in.port))
    try:
        with within(PROMPT * 3), django_capture_on_commit_callbacks(execute=True):
            sign_up(client, "during@example.com")  # the broker hangs: the breaker opens
        stand_in.pass_to(REAL_PORTS[scheme])
        with within(PROMPT * 3), django_capture_on_commit_callbacks(execute=True):
            sign_up(client, "still@example.com")  # within the breaker's time: not tried
        time.sleep(1.1)

        with timed() as took, django_capture_on_commit_callbacks(execute=True):
            assert sign_up(client, "after@example.com").status_code == 302

        assert took["seconds"] < PROMPT
        wait_for(
            lambda: queued(scheme, queue) == 1, timeout=2, what="the sign-up's task in the queue"
        )  # the one sign-up after the breaker's time; the sweep sends the others
        with within(PROMPT * 3), django_capture_on_commit_callbacks(execute=True):
            sign_up(client, "next@example.com")
        wait_for(lambda: queued(scheme, queue) == 2, timeout=2, what="the next sign-up's task in the queue")
    finally:
        stand_in.close()
        forget(scheme, queue)


def test_a_task_named_by_a_process_that_never_imported_its_module_is_queued(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from newsroom.queueing import enqueue\n"
        "print(enqueue('newsroom.tasks.purge_proxy', 'http://127.0.0.1:1', ['front']))\n"
    )

    result = run_python(code, CELERY_BROKER_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "True", result.stderr
    assert len(list((tmp_path / "queue").glob("*.msg"))) == 1
