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
