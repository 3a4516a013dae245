"""Send subscriber mail outside the request.

The sign-up answers at once whatever the address, and a slow or distant mail server must not
make a new address answer slower than a subscribed one (which would tell who subscribes).
Mail goes from a small pool of background threads; NEWSLETTER_MAIL_IN_BACKGROUND=0 sends in
the request instead (the tests do, to read the outbox at once).
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="newsletter-mail")


def _run(job, kwargs):
    try:
        job(**kwargs)
    except Exception:
        logger.exception("Mail job %s failed", getattr(job, "__name__", job))


def _run_in_background(job, kwargs):
    try:
        _run(job, kwargs)
    finally:
        connections.close_all()  # this worker thread's own connections


def deliver(job, **kwargs):
    """Run a mail job now or in the background, as configured; never raise into the caller."""
    if settings.NEWSLETTER_MAIL_IN_BACKGROUND:
        return _pool.submit(_run_in_background, job, kwargs)
    _run(job, kwargs)
    return None
