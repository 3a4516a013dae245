"""Where the site's errors go: a client's mistake is one line in the log; our own are reported."""

import logging


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
