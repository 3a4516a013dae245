"""Site-wide work on the Celery workers: purging the caching proxies, letting scheduled stories out on time, and
mailing password-reset links and account notices.

Each is safe to run twice: a purge drops what is already gone, a scheduled story goes out once, a second reset link
works as well as the first, and a notice repeated says nothing new.
"""

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from . import purging
from .queueing import enqueue


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=purging.UNREACHABLE,
    retry_backoff=1,  # 1, 2, 4… seconds
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=None,  # until the proxy answers: a page it keeps would otherwise be stale for as long
)
def purge_proxy(proxy: str, keys: list[str], again: bool = True) -> int | None:
    """Purge these keys from one proxy; then once more, a few seconds on, for a render that overlapped the change."""
    purged = purging.purge(proxy, keys)
    if again:
        enqueue(purge_proxy, proxy, keys, False, countdown=settings.PROXY_PURGE_AGAIN_SECONDS)
    return purged


@shared_task(acks_late=True, reject_on_worker_lost=True)
def release_scheduled() -> None:
    """Every few seconds with proxies (the scheduler): a story scheduled for now goes out, and the proxies purge
    what shows it, even when no reader's request reaches the app to notice."""
    from . import freshness

    freshness.snapshot()


# A mail the server did not take is tried again after 15, 30, 60… seconds, for about an hour.
MAIL_RETRIES = {
    "autoretry_for": (OSError, smtplib.SMTPException),
    "retry_backoff": 15,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 12,
}


@shared_task(acks_late=True, reject_on_worker_lost=True, **MAIL_RETRIES)
def password_reset_send(email: str) -> None:
    """A reset link for each staff account with this address (none for any other address)."""
    from . import accounts

    accounts.password_reset_send(email=email)


@shared_task(acks_late=True, reject_on_worker_lost=True, **MAIL_RETRIES)
def account_notice_send(email: str, subject: str, body: str) -> None:
    """A change to how an account signs in, mailed to its owner (newsroom/accounts.py)."""
    send_mail(subject, body, None, [email])
