import pytest
from django.db import DatabaseError

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


def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def fail(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", fail)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert b"database unavailable" in response.content
