"""The newsletter's work on the Celery workers: confirmation mail, sending editions, and the scheduler's tick.

Every task is safe to run twice: the database says what has been done, the queue only says what to try.
"""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from newsroom.queueing import enqueue

logger = logging.getLogger(__name__)

__all__ = ["enqueue", "send_confirmation", "send_edition", "tick"]


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=settings.NEWSLETTER_CONFIRMATION_RETRY_SECONDS,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=48,  # about a day of back-off; afterwards the tick's sweep tries again
)
def send_confirmation(self, subscription_id: int) -> bool:
    from .services import confirmation_send

    return confirmation_send(subscription_id=subscription_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_edition(edition_id: int) -> None:
    from .sending import edition_send

    if edition_send(edition_id):
        enqueue(send_edition, edition_id)  # more to do: a fresh task carries on


@shared_task(acks_late=True, reject_on_worker_lost=True)
def tick() -> None:
    """Every NEWSLETTER_TICK_SECONDS (the scheduler): compose and start due editions, take over abandoned
    sends, and queue confirmations that never were."""
    from .editions import editions_compose_due, editions_start_due
    from .sending import editions_take_over
    from .services import confirmations_unsent

    now = timezone.now()
    editions_compose_due(now=now)
    editions_start_due(now=now)
    editions_take_over(now=now)
    for subscription_id in confirmations_unsent(now=now):
        enqueue(send_confirmation, subscription_id)
