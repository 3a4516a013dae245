"""HEAD answers carry a GET's headers and no body, as the WSGI server receives them.

Django's test client empties HEAD bodies itself, as most servers do, so these call the WSGI application
the way gunicorn does; one test runs gunicorn itself.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core import signals
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def in_the_test_transaction():
    """A request to the WSGI application must not close the connection that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def serve(method: str, path: str) -> tuple[int, dict, bytes]:
    """Status, headers and body bytes of one request to the WSGI application."""
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=int(status.split()[0]), headers=dict(headers))

    environ = RequestFactory().generic(method, path).environ
    with in_the_test_transaction():
        result = WSGIHandler()(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            result.close()
    return started["status"], started["headers"], body


def test_head_on_a_page_has_the_headers_of_a_get_and_no_body():
    ArticleFactory(slug="bridge-reopens")

    head_status, head_headers, head_body = serve("HEAD", "/articles/bridge-reopens/")
    get_status, get_headers, get_body = serve("GET", "/articles/bridge-reopens/")

    assert head_status == get_status == 200
    assert head_body == b""
    assert int(head_headers["Content-Length"]) == len(get_body) > 0
    assert head_headers["Content-Type"] == get_headers["Content-Type"]


def test_head_on_a_page_from_the_page_cache_has_no_body():
    ArticleFactory(slug="bridge-reopens")
    _, _, get_body = serve("GET", "/articles/bridge-reopens/")

    status, headers, body = serve("HEAD", "/articles/bridge-reopens/")

    assert (status, headers["X-Page-Cache"], body) == (200, "hit", b"")
    assert int(headers["Content-Length"]) == len(get_body)


def test_head_on_healthz_has_no_body():
    status, headers, body = serve("HEAD", "/healthz")

    assert (status, headers["Content-Type"], body) == (200, "text/plain", b"")


def test_head_on_a_streamed_file_keeps_its_length_and_sends_none_of_it():
    name = default_storage.save("head-test/notes.txt", ContentFile(b"x" * 5000))

    status, headers, body = serve("HEAD", f"/media/{name}")

    assert (status, headers["Content-Length"], body) == (200, "5000", b"")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_answers_head_without_warning_that_the_app_sent_a_body(tmp_path):
    port = free_port()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "newsroom.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("HEAD", "/healthz")
                response = connection.getresponse()
                break
            except ConnectionRefusedError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        assert response.status == 200
        assert response.read() == b""
        connection.close()
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=30)

    assert "Booting worker" in log
    assert "sent body bytes" not in log, log
