import logging
import time

import pytest
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError

from newsroom import health, queueing
from newsroom.breaker import Breakers
from tests.test_cache_outage import HungServer
from tests.workers import free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_head_requests(client):
    assert client.head("/healthz").status_code == 200


def test_healthz_answers_probes_by_ip_over_plain_http_in_production(client, settings):
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz", HTTP_HOST="10.0.0.5").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.5").status_code == 400


@pytest.fixture
def database_refuses(monkeypatch):
    """Every query fails, as with the database server gone."""
    from django.db.backends.utils import CursorWrapper

    def fail(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", fail)


def test_healthz_answers_503_when_the_database_does_not(client, database_refuses):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert b"database unavailable" in response.content


@pytest.fixture
def broker_at(monkeypatch, settings):
    """Point the Celery app (the one /readyz asks) at another broker for the test, with the timeouts settings give."""
    from newsroom.celery import app

    monkeypatch.setattr(queueing, "_breakers", Breakers())
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}

    def point(url: str, options: dict | None = None):
        app.conf.update(broker_url=url, broker_transport_options=options or settings.CELERY_BROKER_TRANSPORT_OPTIONS)

    yield point
    app.conf.update(saved)


class UnreachableStorage(FileSystemStorage):
    def exists(self, name):
        raise OSError("the bucket does not answer")


class SlowStorage(FileSystemStorage):
    def exists(self, name):
        time.sleep(3)
        return False


def test_readyz_answers_200_listing_each_check_when_everything_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response.content.decode() == "ok\ndatabase: ok\ncache: ok\nbroker: ok\nstorage: ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_readyz_answers_head_requests_and_probes_by_ip_over_plain_http_in_production(client, settings):
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/readyz", HTTP_HOST="10.0.0.5").status_code == 200
    assert client.head("/readyz", HTTP_HOST="10.0.0.5").status_code == 200


def test_readyz_names_the_cache_when_redis_does_not_answer(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "newsroom.redis_cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content.decode().splitlines()[0] == "not ready: cache"
    assert "cache: ConnectionError" in response.content.decode()
    # The next probe finds the breaker open (newsroom/redis_cache.py): still not ready, without waiting.
    assert client.get("/readyz").content.decode().startswith("not ready: cache\n")


DEGRADED_BROKER = "broker: unreachable (work is queued when it returns)"


def test_readyz_keeps_the_instance_in_rotation_when_the_broker_refuses_and_says_so(client, broker_at):
    broker_at(f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/readyz")

    assert response.status_code == 200
    assert (
        response.content.decode() == f"ok, degraded: broker\ndatabase: ok\ncache: ok\n{DEGRADED_BROKER}\nstorage: ok\n"
    )


@pytest.mark.parametrize("url", ["redis://127.0.0.1:{port}/0", "amqp://guest:guest@127.0.0.1:{port}//"])
def test_readyz_answers_promptly_and_stays_ready_with_a_hung_broker_then_does_not_ask_it_again(client, broker_at, url):
    hung = HungServer()
    broker_at(url.format(port=hung.port))
    try:
        started = time.monotonic()
        first = client.get("/readyz")
        took = time.monotonic() - started
        second_started = time.monotonic()
        second = client.get("/readyz")
        second_took = time.monotonic() - second_started
    finally:
        hung.close()

    assert took < health.TIMEOUT  # the broker's own short deadline, not the probe's whole wait
    assert first.status_code == 200 and DEGRADED_BROKER in first.content.decode()
    assert second_took < 0.5 and hung.accepted == 1  # the breaker answers for the broker meanwhile
    assert second.status_code == 200 and DEGRADED_BROKER in second.content.decode()


def test_readyz_lists_the_embedded_broker_when_its_folder_cannot_be_written(client, broker_at, tmp_path):
    missing = str(tmp_path / "gone")
    broker_at("filesystem://", {"data_folder_in": missing, "data_folder_out": missing})

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.content.decode().startswith("ok, degraded: broker\n")
    assert DEGRADED_BROKER in response.content.decode()


def test_readyz_names_the_storage_when_it_fails(client, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.test_health.UnreachableStorage"}}

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content.decode().startswith("not ready: storage\n")
    assert "storage: OSError" in response.content.decode()


def test_readyz_names_the_database_when_it_does_not_answer(client, database_refuses):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content.decode().startswith("not ready: database\n")


def test_readyz_names_everything_that_does_not_answer(client, settings, broker_at):
    settings.CACHES = {
        "default": {"BACKEND": "newsroom.redis_cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }
    broker_at(f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content.decode().startswith("not ready: cache\n")
    assert DEGRADED_BROKER in response.content.decode()


def test_readyz_answers_within_its_timeout_when_a_check_hangs(client, settings, monkeypatch):
    from newsroom import health

    monkeypatch.setattr(health, "TIMEOUT", 0.3)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.test_health.SlowStorage"}}

    started = time.monotonic()
    response = client.get("/readyz")

    assert time.monotonic() - started < 2  # not the 3 s the storage takes
    assert response.status_code == 503
    assert "storage: timed out" in response.content.decode()


def test_a_failing_probe_is_a_warning_naming_the_cause_not_a_server_error_mailed_to_admins(
    client, settings, database_refuses, caplog
):
    settings.ADMINS = [("Ops", "ops@example.org")]

    with caplog.at_level(logging.WARNING):
        assert client.get("/readyz").status_code == 503

    health_records = [r for r in caplog.records if r.name == "newsroom.health"]
    assert [r.levelname for r in health_records] == ["WARNING"]
    assert "the database did not answer" in health_records[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert mail.outbox == []


def test_a_broker_that_does_not_answer_is_a_warning_not_an_error(client, broker_at, caplog):
    broker_at(f"redis://127.0.0.1:{free_port()}/0")

    with caplog.at_level(logging.WARNING):
        assert client.get("/readyz").status_code == 200

    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Degraded: the broker did not answer" in caplog.text
