"""Sending account mail on the workers (accounts/outbox.py). Each task is safe to run twice: the row says whether the
mail went."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mail_send(mail_id: int) -> bool:
    from .outbox import mail_send

    return mail_send(mail_id=mail_id, now=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mails_sweep() -> int:
    """Every minute (the scheduler): the account mail that waited too long."""
    from .outbox import mails_sweep

    return mails_sweep(now=timezone.now())
