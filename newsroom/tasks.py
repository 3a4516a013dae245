"""Site-wide work on the Celery workers: purging the caching proxies and letting scheduled stories out on time
(account mail is accounts/tasks.py's).

Each is safe to run twice: a purge drops what is already gone, and a scheduled story goes out once.
"""

from celery import shared_task
from django.conf import settings

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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def password_reset_send(email: str) -> None:
    """Queued by the release before account mail was kept in the database (accounts/outbox.py): kept there now."""
    from accounts import outbox
    from accounts.models import AccountMail

    outbox.mail_queue(kind=AccountMail.Kind.PASSWORD_RESET, address=email)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def account_notice_send(email: str, subject: str, body: str) -> None:
    """Queued by the release before account mail was kept in the database (accounts/outbox.py): kept there now."""
    from accounts import outbox
    from accounts.models import AccountMail

    outbox.mail_queue(kind=AccountMail.Kind.NOTICE, address=email, subject=subject, body=body)
