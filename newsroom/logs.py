"""Where the site's errors go: a client's mistake is one line in the log; our own are reported.

With LOG_FORMAT=json each line is one JSON object, for a log collector to index without parsing text.
"""

import json
import logging
import time
from collections.abc import Mapping


class ClientErrorFilter(logging.Filter):
    """Turns a record of a request Django refused with a 4xx into a one-line warning.

    Django logs a request for a host we do not serve, or one that sends too much, at ERROR with the
    traceback of where it noticed, and mails it to ADMINS: a scanner then buries real errors.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = record.stack_info = None
        return True


# What every record has; anything else on a record was given to it (`extra=`, Django's `status_code`) and is kept.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, the request id when there is one,
    the exception's traceback when there is one, and the record's other fields of plain values."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = getattr(record, "request", None)  # Django's request and security loggers give the request
        if hasattr(request, "method") and hasattr(request, "path"):
            entry |= {"method": request.method, "path": request.path}
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and isinstance(value, str | int | float | bool):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class AccessFields(logging.Filter):
    """gunicorn's access log line as fields of its record (deploy/gunicorn.conf.py): the request id from the
    response's header, method, path, status, size, duration."""

    ATOMS = {
        "{x-request-id}o": "request_id",
        "h": "remote_addr",
        "m": "method",
        "U": "path",
        "q": "query",
        "s": "status_code",
        "B": "response_length",
        "M": "duration_ms",
        "{user-agent}i": "user_agent",
        "{referer}i": "referer",
    }

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping):
            for atom, field in self.ATOMS.items():
                value = record.args.get(atom)
                if value not in {None, "", "-"}:
                    # gunicorn escapes quotes for its text format; the JSON encoder does its own escaping.
                    value = value.replace('\\"', '"') if isinstance(value, str) else value
                    setattr(record, field, int(value) if field == "status_code" and str(value).isdigit() else value)
        return True


def sentry_init(*, dsn: str, environment: str | None = None, traces_sample_rate: float | None = None) -> None:
    """Reports errors to Sentry. Left to its defaults, the SDK sends no personal data of readers or staff:
    no IP addresses, cookies or user names (setting `send_default_pii` or `data_collection` would)."""
    import sentry_sdk  # here, not above: loading it costs every process a tenth of a second
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        # A stack frame's variables can hold a subscriber's address: they stay on our side.
        include_local_variables=False,
    )
