"""A server error is reported to the team when there is one to report to, and the 500 page says only that."""

import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest
import sentry_sdk
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from newsroom.errors import server_error
from newsroom.logs import sentry_init

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.crash_urls")]


@pytest.fixture
def crashing(client):
    client.raise_request_exception = False
    return lambda: client.get("/crash/")


@pytest.fixture
def no_one_to_tell(settings):
    settings.ADMINS = []
    settings.SENTRY_DSN = ""


def test_a_server_error_is_mailed_to_admins_and_the_page_says_so(crashing, settings):
    settings.ADMINS = [("Night desk", "desk@example.org")]

    response = crashing()

    assert response.status_code == 500
    assert b"reported to our team" in response.content
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["desk@example.org"]
    assert "PressJammed" in mail.outbox[0].body


def test_with_no_one_to_tell_the_500_page_claims_no_one_was_told(crashing, no_one_to_tell):
    response = crashing()

    assert response.status_code == 500
    assert b"Something went wrong" in response.content and b"try again" in response.content
    assert b"told" not in response.content and b"reported" not in response.content
    assert mail.outbox == []


def test_the_500_page_does_not_touch_the_database(no_one_to_tell):
    with CaptureQueriesContext(connection) as queries:
        response = server_error(RequestFactory().get("/crash/"))

    assert response.status_code == 500
    assert len(queries) == 0
    assert b"<!doctype html>" in response.content


class Envelopes(BaseHTTPRequestHandler):
    received: list[bytes]

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif self.headers.get("Content-Encoding") == "br":  # sentry-sdk's choice once brotli is installed
            body = brotli.decompress(body)
        self.server.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry(settings, monkeypatch):
    """Sentry set up with a DSN on a server of our own on loopback; torn down again after the test."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Envelopes)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    dsn = f"http://public@127.0.0.1:{server.server_port}/1"
    settings.ADMINS, settings.SENTRY_DSN = [], dsn
    sentry_init(dsn=dsn, environment="test")
    try:
        yield server.received
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        assert not sentry_sdk.get_client().is_active()
        server.shutdown()
        server.server_close()


def test_a_server_error_reaches_sentry_when_a_dsn_is_set_without_who_met_it(sentry, admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)

    response = client.get("/crash/", REMOTE_ADDR="203.0.113.7")
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 500
    assert b"reported to our team" in response.content
    events = [json.loads(line) for body in sentry for line in body.splitlines() if b'"exception"' in line]
    assert [event["exception"]["values"][-1]["type"] for event in events] == ["PressJammed"]
    assert events[0]["environment"] == "test"
    assert "user" not in events[0] and "cookies" not in events[0]["request"]
    assert "203.0.113.7" not in json.dumps(events[0]) and client.session.session_key not in json.dumps(events[0])
