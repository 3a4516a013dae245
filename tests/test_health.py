import logging
import time

import pytest
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError

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
def broker_at():
    """Point the Celery app (the one /readyz asks) at another broker for the test."""
    from newsroom.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}

    def point(url: str, options: dict | None = None):
        app.conf.update(broker_url=url, broker_transport_options=options or {})

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


def test_readyz_names_the_broker_when_it_does_not_answer(client, broker_at):
    broker_at(f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content.decode().startswith("not ready: broker\n")


def test_readyz_names_the_embedded_broker_when_its_folder_cannot_be_written(client, broker_at, tmp_path):
    missing = str(tmp_path / "gone")
    broker_at("filesystem://", {"data_folder_in": missing, "data_folder_out": missing})

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content.decode().startswith("not ready: broker\n")


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

    assert client.get("/readyz").content.decode().startswith("not ready: cache, broker\n")


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
    client, settings, broker_at, caplog
):
    settings.ADMINS = [("Ops", "ops@example.org")]
    broker_at(f"redis://127.0.0.1:{free_port()}/0")

    with caplog.at_level(logging.WARNING):
        assert client.get("/readyz").status_code == 503

    assert [(r.name, r.levelname) for r in caplog.records] == [("newsroom.health", "WARNING")]
    assert "the broker did not answer" in caplog.records[0].getMessage()
    assert mail.outbox == []
