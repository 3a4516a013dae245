"""One id per request, in every log line it causes: the web server's, Django's, and the workers' for its tasks.

A well-formed `X-Request-ID` from the proxy or load balancer in front is kept, so its logs and ours line up;
anything else is replaced by a new id. The response names the id in `X-Request-ID`; the tasks the request queues
carry it in their message headers, and the worker that runs one logs under it.
"""

import logging
import re
import uuid
from contextvars import ContextVar, Token

from django.core.signals import request_finished

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")

current: ContextVar[str | None] = ContextVar("request_id", default=None)


def well_formed(value: str | None) -> str | None:
    """The id as given, if it is one we can log and send back as it is (no spaces, quotes or newlines)."""
    return value if value and _WELL_FORMED.fullmatch(value) else None


def accepted(value: str | None) -> str:
    return well_formed(value) or uuid.uuid4().hex


class RequestIds:
    """WSGI, outermost: the id for everything the application does, pages answered from the cache before
    Django included, and on every response, for gunicorn's access log and the client."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        request_id = environ["HTTP_X_REQUEST_ID"] = accepted(environ.get("HTTP_X_REQUEST_ID"))
        name = HEADER.lower()

        def start(status, headers, exc_info=None):
            headers = [(key, value) for key, value in headers if key.lower() != name]
            return start_response(status, [*headers, (HEADER, request_id)], exc_info)

        token = current.set(request_id)
        try:
            return self.application(environ, start)
        finally:
            current.reset(token)


class RequestIdMiddleware:
    """The same inside Django, for servers that do not go through `RequestIds` (runserver, ASGI, the test
    client). First in MIDDLEWARE: outside the page cache, which must never keep one request's id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted(request.headers.get(HEADER))
        current.set(request_id)  # left set until the response is closed: Django logs an error response after this
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _request_finished(sender, **kwargs):
    current.set(None)


request_finished.connect(_request_finished, dispatch_uid="newsroom.request_id")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (None outside a request or task) to every record, for the JSON log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current.get()
        return True


# Celery's signals (connected in newsroom/celery.py): the id goes out with each task queued while it is set, and
# is set while the worker runs the task. Tasks the task queues carry it on.
_running: dict[str, Token] = {}


def task_headers_add(headers=None, **kwargs) -> None:
    """before_task_publish. (Tasks run eagerly are not published: they run under the id already set.)"""
    request_id = current.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def task_started(task_id=None, task=None, **kwargs) -> None:
    """task_prerun."""
    request_id = well_formed(getattr(task.request, TASK_HEADER, None)) or current.get()
    _running[task_id] = current.set(request_id)


def task_finished(task_id=None, **kwargs) -> None:
    """task_postrun: back to the id before the task (none on a worker; the request's for an eager task)."""
    token = _running.pop(task_id, None)
    if token is not None:
        current.reset(token)
