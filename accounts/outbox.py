"""Password-reset mail and account notices, kept in the database until they are sent.

The row is written in the transaction of the change (or request) that asks for it, and its task is queued once that
commits; with the broker down or hung, the scheduler's sweep (`mails_sweep`, every minute) sends what has waited
longer than a minute. Sending takes the row with a conditional update, so two workers, a task run twice or a task
and the sweep send it once; a mail server that turns it away is tried again with back-off, MAX_ATTEMPTS times.
"""

import datetime
import logging
import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction
from django.db.models import F
from django.template import loader
from django.utils import timezone

from newsroom.queueing import enqueue

from .models import AccountMail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # a minute's wait, doubling up to an hour: about four hours of a mail server that is down
SWEEP_AFTER = datetime.timedelta(minutes=1)  # a fresh row's own task is given this long
SWEEP_BATCH = 50
KEPT_FOR = datetime.timedelta(days=1)  # sent or given up, a row is deleted after this


class StaffPasswordResetForm(PasswordResetForm):
    """Only staff accounts sign in, so only they get a reset link; the page says the same either way."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if user.is_staff)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        """Sent, or raised for the outbox to try again (Django's own logs the failure and drops the mail)."""
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email]).send()


def mail_queue(*, kind: AccountMail.Kind, address: str, subject: str = "", body: str = "") -> AccountMail:
    """Keep the mail with the change that asks for it, and queue its sending once that commits."""
    with transaction.atomic():
        row = AccountMail.objects.create(kind=kind, address=address, subject=subject, body=body)
        transaction.on_commit(lambda: enqueue("accounts.tasks.mail_send", row.pk))
    return row


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def mail_send(*, mail_id: int, now: datetime.datetime) -> bool:
    """Send the mail if it is unsent and due, and no one else is sending it. False if the mail server did not take
    it (it is tried again after the back-off)."""
    due = AccountMail.objects.filter(pk=mail_id, sent_at=None, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now)
    row = due.first()
    if row is None:
        return True
    # Conditional on the attempts read, so of two senders only one takes it; the lease outlasts EMAIL_TIMEOUT.
    taken = due.filter(attempts=row.attempts).update(
        attempts=F("attempts") + 1, next_attempt_at=now + _backoff(row.attempts + 1)
    )
    if not taken:
        return True
    try:
        _deliver(row)
    except (OSError, smtplib.SMTPException) as exc:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            logger.error("Gave up mailing %s (mail %s) after %s attempts: %s", row.kind, row.pk, MAX_ATTEMPTS, exc)
        else:
            logger.warning("Could not mail %s (mail %s), will try again: %s", row.kind, row.pk, exc)
        return False
    AccountMail.objects.filter(pk=row.pk).update(sent_at=timezone.now())
    return True


def _deliver(row: AccountMail) -> None:
    if row.kind == AccountMail.Kind.NOTICE:
        send_mail(row.subject, row.body, None, [row.address])
        return
    form = StaffPasswordResetForm({"email": row.address})  # who has the address is asked here, not by the request
    if not form.is_valid():
        return
    site = urlsplit(settings.SITE_URL)  # never the host and port a request named
    form.save(
        domain_override=site.netloc + site.path.rstrip("/"),
        use_https=site.scheme == "https",
        extra_email_context={"site_name": settings.SITE_NAME},
    )


def mails_sweep(*, now: datetime.datetime) -> int:
    """Send what waited longer than a minute (its task lost with the broker, or a mail server down), stopping at
    the first the mail server turns away; forget what was sent or given up a day ago. Returns how many it handled."""
    AccountMail.objects.filter(created_at__lt=now - KEPT_FOR).delete()
    due = AccountMail.objects.filter(
        sent_at=None, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now, created_at__lte=now - SWEEP_AFTER
    )
    sent = 0
    for mail_id in due.order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH]:
        if not mail_send(mail_id=mail_id, now=now):
            break
        sent += 1
    return sent


def mails_unsent() -> int:
    return AccountMail.objects.filter(sent_at=None).count()
