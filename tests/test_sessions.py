"""With REDIS_URL, sessions are read from Redis and written through to the database (newsroom/sessions.py): any
server process answers any staff request, and a Redis that restarts or goes away logs no one out."""

import pytest
import redis
from django.contrib.auth.models import User
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsroom.sessions import SessionStore
from tests.workers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, settings):
    settings.SESSION_ENGINE = "newsroom.sessions"
    user = User.objects.create_superuser("desk", password="x")
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def another_server(session_key: str, settings) -> Client:
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return other


def test_a_session_made_by_one_login_is_read_from_redis_by_any_server(real_redis, staff, settings):
    assert cache.get(KEY_PREFIX + staff)["_auth_user_id"]

    with CaptureQueriesContext(connection) as queries:
        session = SessionStore(staff).load()

    assert session["_auth_user_id"] and len(queries) == 0
    assert another_server(staff, settings).get("/admin/").status_code == 200


def test_a_redis_that_restarts_empty_logs_no_one_out(real_redis, staff, settings):
    cache.clear()

    assert another_server(staff, settings).get("/admin/").status_code == 200
    assert cache.get(KEY_PREFIX + staff)["_auth_user_id"]  # read from the database, and kept in Redis again


def test_a_redis_that_does_not_answer_logs_no_one_out_and_fails_no_request(staff, settings, client):
    settings.CACHES = {
        "default": {"BACKEND": "newsroom.redis_cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")  # the site's cache does not answer

    assert client.get("/admin/").status_code == 200
    assert client.post("/admin/logout/").status_code == 200
    assert client.get("/admin/").status_code == 302  # logged out: the session is gone from the database


def test_logging_out_removes_the_session_from_redis(real_redis, staff, client):
    client.post("/admin/logout/")

    assert cache.get(KEY_PREFIX + staff) is None
