"""Sessions live in the database, with or without REDIS_URL: signing out, a password change and an idle timeout end
a session for good, whatever a hung or restarted Redis did meanwhile, and any server process answers any staff
request (no sticky sessions)."""

from datetime import timedelta

import pytest
import redis
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from newsroom import redis_cache
from tests.test_cache_outage import HungServer
from tests.workers import free_port

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unguessable passphrase"  # noqa: S105 (a test account's)


@pytest.fixture(autouse=True)
def _fresh_breakers():
    redis_cache._breakers.clear()
    yield
    redis_cache._breakers.clear()


@pytest.fixture
def desk():
    return User.objects.create_superuser("desk", password=PASSWORD)


@pytest.fixture
def redis_hangs(real_redis, settings):
    """Switches the site's cache to a server that accepts and never answers, for as long as the block lasts, then
    back to the real Redis, with whatever it held."""
    real = settings.CACHES
    server = HungServer()

    class Hang:
        def __enter__(self):
            location = f"redis://127.0.0.1:{server.port}/0"
            settings.CACHES = {"default": {**real["default"], "LOCATION": location}}

        def __exit__(self, *exc):
            settings.CACHES = real
            cache.get("anything")  # the real Redis answers again

    yield Hang()
    server.close()


def with_cookie(session_key: str, settings) -> Client:
    """Another browser, or another server process, holding this session's cookie."""
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return other


def signed_in(client, user, settings) -> str:
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_any_server_process_answers_any_staff_request(real_redis, client, desk, settings):
    key = signed_in(client, desk, settings)

    assert with_cookie(key, settings).get("/admin/").status_code == 200


def test_a_redis_that_restarts_empty_logs_no_one_out(real_redis, client, desk, settings):
    key = signed_in(client, desk, settings)
    cache.clear()

    assert with_cookie(key, settings).get("/admin/").status_code == 200


def test_a_redis_that_does_not_answer_logs_no_one_out_and_fails_no_request(client, desk, settings):
    signed_in(client, desk, settings)
    settings.CACHES = {
        "default": {"BACKEND": "newsroom.redis_cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")  # the site's cache does not answer

    assert client.get("/admin/").status_code == 200
    assert client.post("/admin/logout/").status_code == 200
    assert client.get("/admin/").status_code == 302


def test_signing_out_while_redis_hangs_ends_the_session_for_good(client, desk, redis_hangs, settings):
    key = signed_in(client, desk, settings)

    with redis_hangs:
        assert client.post("/admin/logout/").status_code == 200

    assert with_cookie(key, settings).get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_signing_out_while_redis_hangs_ends_the_second_factor_too(client, redis_hangs, settings):
    settings.STAFF_2FA_REQUIRED = True
    editor = User.objects.create_superuser("editor", password=PASSWORD)
    device = TOTPDevice.objects.create(user=editor, name="Authenticator app", confirmed=True)
    client.post("/admin/login/", {"username": "editor", "password": PASSWORD})
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
    assert client.post("/admin/two-factor/verify/", {"token": code}).status_code == 302
    assert client.get("/admin/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    with redis_hangs:
        client.post("/admin/logout/")

    old = with_cookie(key, settings)
    assert old.get("/admin/").status_code == 302
    assert old.get("/admin/two-factor/verify/").status_code == 302, "not even signed in with the password"


def test_changing_the_password_while_redis_hangs_ends_every_other_session_for_good(client, desk, redis_hangs, settings):
    elsewhere = signed_in(Client(), desk, settings)
    old_key = signed_in(client, desk, settings)
    new = "another long passphrase, only mine"

    with redis_hangs:
        response = client.post(
            "/admin/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
        )
        assert response.status_code == 302

    assert client.get("/admin/").status_code == 200, "the session that changed it goes on"
    assert with_cookie(elsewhere, settings).get("/admin/").status_code == 302
    assert with_cookie(old_key, settings).get("/admin/").status_code == 302


def test_an_idle_session_ends_whatever_redis_holds(real_redis, client, desk, settings):
    key = signed_in(client, desk, settings)

    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))

    assert with_cookie(key, settings).get("/admin/").status_code == 302
