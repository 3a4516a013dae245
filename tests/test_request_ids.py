"""Every response names its request id, every log line it causes carries it, and so do the tasks it queues."""

import json
import logging
import sys

import pytest
from django.core.handlers.wsgi import WSGIHandler
from gunicorn.glogging import SafeAtoms

from newsroom import request_id
from newsroom.celery import app
from newsroom.logs import AccessFields, JsonFormatter
from newsroom.public_cache import EarlyHits
from newsroom.request_id import RequestIdFilter, RequestIds
from tests.factories import ArticleFactory
from tests.test_early_hits import call
from tests.workers import Sink, Workers, publishing_to, wait_for

pytestmark = pytest.mark.django_db


@app.task(name="tests.request_id_seen")
def request_id_seen():
    return request_id.current.get()


def test_a_well_formed_incoming_request_id_is_kept_and_sent_back(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42_x"})

    assert response["X-Request-ID"] == "lb-7f3a.42_x"


@pytest.mark.parametrize("incoming", ["", "has space", 'quote"d', "a" * 65, "é", "semi;colon"])
def test_an_ill_formed_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_each_request_without_an_id_gets_a_new_one(client):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_the_log_lines_of_a_request_carry_its_id_even_those_django_writes_after_the_middleware(client, recorded):
    requests = recorded("django.request")

    response = client.get("/no-such-page/", headers={"X-Request-ID": "lb-404"})

    assert response.status_code == 404
    assert [(record.getMessage(), record.request_id) for record in requests.records] == [
        ("Not Found: /no-such-page/", "lb-404")
    ]
    assert request_id.current.get() is None  # and nothing after the request is logged under it


def test_the_console_handler_adds_the_request_id_to_every_record():
    handlers = logging.getLogger().handlers

    assert any(isinstance(f, RequestIdFilter) for handler in handlers for f in handler.filters)


def test_a_page_answered_from_the_cache_before_django_names_the_request_id_too():
    ArticleFactory(headline="Bridge reopens", slug="bridge-reopens")
    application = RequestIds(EarlyHits(WSGIHandler()))

    _, made, _ = call(application, HTTP_X_REQUEST_ID="first")
    _, cached, _ = call(application, HTTP_X_REQUEST_ID="second")
    _, renamed, _ = call(application, HTTP_X_REQUEST_ID="bad id")

    assert (made["X-Page-Cache"], cached["X-Page-Cache"]) == ("miss", "hit")
    assert (made["X-Request-ID"], cached["X-Request-ID"]) == ("first", "second")  # never the one cached with it
    assert renamed["X-Request-ID"] != "bad id"
    assert request_id.current.get() is None


def test_a_task_queued_during_a_request_runs_under_its_id():
    """Tasks run eagerly here (tests/settings.py): under the id already set, which they leave as it was."""
    token = request_id.current.set("req-1")
    try:
        assert request_id_seen.delay().get() == "req-1"
        assert request_id.current.get() == "req-1"
    finally:
        request_id.current.reset(token)


def test_a_task_published_during_a_request_carries_its_id_in_its_headers_to_the_worker():
    headers = {"id": "task-1"}
    token = request_id.current.set("req-2")
    try:
        request_id.task_headers_add(headers=headers, body=None)
    finally:
        request_id.current.reset(token)

    assert headers == {"id": "task-1", "request_id": "req-2"}

    class Task:
        class request:  # noqa: N801 (what Celery's task.request holds, headers included)
            request_id = "req-2"

    request_id.task_started(task_id="task-1", task=Task)
    assert request_id.current.get() == "req-2"
    request_id.task_finished(task_id="task-1", task=Task)
    assert request_id.current.get() is None


def test_a_task_queued_outside_any_request_carries_no_id():
    headers = {}
    request_id.task_headers_add(headers=headers)

    assert headers == {}


def json_line(record: logging.LogRecord) -> dict:
    line = JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def test_a_json_log_line_has_the_time_level_logger_message_request_id_and_extra_fields(rf):
    record = logging.getLogger("django.request").makeRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/gone/",),
        None,
        extra={"status_code": 404, "request": rf.get("/gone/"), "request_id": "lb-1"},
    )
    record.created = 1767268800.25  # 2026-01-01 12:00:00.250 UTC
    record.msecs = 250

    assert json_line(record) == {
        "time": "2026-01-01T12:00:00.250Z",
        "level": "WARNING",
        "logger": "django.request",
        "message": "Not Found: /gone/",
        "method": "GET",
        "path": "/gone/",
        "status_code": 404,
        "request_id": "lb-1",
    }


def test_a_json_log_line_has_the_exception_and_no_request_id_outside_a_request():
    try:
        raise ValueError("line one\nline two")
    except ValueError:
        record = logging.makeLogRecord(
            {"name": "newsroom", "levelno": logging.ERROR, "levelname": "ERROR", "msg": "Broke: “%s”", "args": ("é",)}
        )
        record.exc_info = sys.exc_info()
    RequestIdFilter().filter(record)

    entry = json_line(record)

    assert entry["message"] == "Broke: “é”"
    assert entry["exception"].startswith("Traceback") and entry["exception"].endswith("ValueError: line one\nline two")
    assert "request_id" not in entry


def test_gunicorns_access_line_becomes_fields_with_the_request_id_from_the_response():
    atoms = SafeAtoms(
        {
            "h": "10.0.0.9",
            "m": "GET",
            "U": "/articles/x/",
            "q": "",
            "r": "GET /articles/x/ HTTP/1.1",
            "s": "200",
            "b": "512",
            "B": 512,
            "M": 3,
            "{user-agent}i": 'Probe "1"',
            "{x-request-id}o": "lb-9",
        }
    )
    record = logging.getLogger("gunicorn.access").makeRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '"%(r)s" %(s)s %(b)s %(M)sms', (atoms,), None
    )
    AccessFields().filter(record)

    entry = json_line(record)

    assert entry["message"] == '"GET /articles/x/ HTTP/1.1" 200 512 3ms'
    assert {key: entry[key] for key in entry if key not in {"time", "message"}} == {
        "level": "INFO",
        "logger": "gunicorn.access",
        "request_id": "lb-9",
        "remote_addr": "10.0.0.9",
        "method": "GET",
        "path": "/articles/x/",
        "status_code": 200,
        "response_length": 512,
        "duration_ms": 3,
        "user_agent": 'Probe "1"',
    }


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_a_worker_logs_in_json_under_the_id_of_the_request_that_queued_its_task(client, tmp_path):
    sink = Sink(tmp_path / "maildir")
    workers = Workers("embedded", tmp_path, sink.port, LOG_FORMAT="json", LOG_LEVEL="INFO")
    try:
        workers.start(concurrency=1, loglevel="INFO")
        with publishing_to(workers):
            response = client.post("/newsletter/", {"email": "reader@example.org"}, headers={"X-Request-ID": "lb-77"})
        assert response.status_code == 302

        def task_line():
            return next(
                (
                    line
                    for line in json_lines(workers.log_text())
                    if line["logger"] == "celery.app.trace" and "send_confirmation" in line["message"]
                ),
                None,
            )

        line = wait_for(task_line, timeout=60, what="the task's log line", workers=workers)
    finally:
        workers.stop_all()
        sink.stop()

    assert line["request_id"] == "lb-77"
    assert "succeeded" in line["message"]
    assert any(line["logger"] == "celery.apps.worker" for line in json_lines(workers.log_text()))  # its own lines
    assert sink.count() == 1
