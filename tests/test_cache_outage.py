"""A slow, hung or absent Redis costs a page at most one short wait, then none while the breaker is open; a page
from the cache costs one round trip to Redis; the sign-up rate limit holds meanwhile, per process."""

import logging
import socket
import threading
import time

import pytest
import redis

from newsroom import redis_cache
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


class HungServer:
    """Accepts connections on loopback and reads what it is sent, but never answers."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.connections = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self.connections.append(connection)  # held open, never answered

    def close(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


def use_redis(settings, location):
    settings.CACHES = {"default": {"BACKEND": "newsroom.redis_cache.RedisCache", "LOCATION": location}}
    settings.CONTENT_VERSION_SHARED = True


@pytest.fixture(autouse=True)
def _fresh_breakers():
    redis_cache._breakers.clear()
    yield
    redis_cache._breakers.clear()


@pytest.fixture
def hung(settings):
    server = HungServer()
    use_redis(settings, f"redis://127.0.0.1:{server.port}/0")
    yield server
    server.close()


@pytest.fixture
def round_trips(monkeypatch):
    """Every command or pipeline sent to Redis, counted."""
    sent = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


def test_a_hung_redis_costs_one_short_wait_then_none_while_the_breaker_is_open(client, hung, caplog):
    story = ArticleFactory(headline="Bridge reopens after repairs")

    with caplog.at_level(logging.WARNING, logger="newsroom.redis_cache"):
        answers = [client.get(url) for _ in range(10) for url in ("/", story.get_absolute_url())]

    assert [response.status_code for response in answers] == [200] * 20
    assert all("Bridge reopens after repairs" in response.content.decode() for response in answers)
    assert hung.accepted == 1  # one connection, one timed-out command; then nothing for the breaker's time
    assert len([r for r in caplog.records if "did not answer" in r.getMessage()]) == 1


def test_after_the_breaker_time_one_request_tries_the_cache_again(client, hung, settings):
    settings.CACHE_BREAKER_SECONDS = 0.2
    client.get("/")
    assert hung.accepted == 1

    time.sleep(0.3)
    client.get("/")
    client.get("/")

    assert hung.accepted == 2


def test_a_refused_redis_port_is_harmless_too(client, settings):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    use_redis(settings, f"redis://127.0.0.1:{port}/0")
    ArticleFactory(headline="Council meets tonight")

    assert "Council meets tonight" in client.get("/").content.decode()


def test_signups_are_still_rate_limited_while_redis_hangs_counted_per_process(
    client, hung, settings, caplog, monkeypatch
):
    from newsroom import ratelimit

    settings.NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR = 2
    monkeypatch.setattr(ratelimit, "_said_at", 0.0)  # said at most once a minute: another test may have said it

    with caplog.at_level(logging.WARNING):
        answers = [
            client.post("/newsletter/", {"email": f"reader{n}@example.com", "website": ""}, REMOTE_ADDR="203.0.113.9")
            for n in range(4)
        ]

    assert [response.status_code for response in answers] == [302, 302, 429, 429]
    assert any("counted per process" in record.getMessage() for record in caplog.records)


def test_a_page_from_the_cache_costs_one_round_trip_to_redis(client, real_redis, round_trips):
    story = ArticleFactory()
    for url in ("/", story.get_absolute_url()):
        client.get(url)  # made, and stored with the site's header and footer
        round_trips.clear()

        response = client.get(url)

        assert response["X-Page-Cache"] == "hit"
        assert len(round_trips) == 1, round_trips


def test_a_page_made_afresh_costs_three_round_trips_once_the_header_is_cached(client, real_redis, round_trips):
    first, second = ArticleFactory(), ArticleFactory()
    client.get(first.get_absolute_url())
    round_trips.clear()

    response = client.get(second.get_absolute_url())

    assert response["X-Page-Cache"] == "miss"
    # Read the clock, header, footer and page; read the page's cached parts; write the page and its parts.
    assert len(round_trips) == 3


def test_a_change_shows_at_once_through_redis(client, real_redis):
    story = ArticleFactory(headline="Old headline")
    client.get(story.get_absolute_url())
    story.headline = "New headline"
    story.save()

    assert "New headline" in client.get(story.get_absolute_url()).content.decode()
