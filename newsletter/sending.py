"""Sending an edition: exactly one delivery per subscriber, whatever crashes on the way.

When sending starts, the audience (the newsletter's active subscriptions at that moment) becomes one
Delivery row per recipient. Workers claim a batch of waiting rows under a lease (skipping rows another
worker holds), send it over one SMTP connection and record each row as sent the moment the mail server
accepts that message. A worker that dies leaves its rows leased; when the lease runs out another worker
takes them and sends only what was not recorded. A message can go twice only if the worker died between
the server's acceptance and the database's record of it: one message per crash, at most.
"""

import dataclasses
import datetime
import email.quoprimime
import functools
import logging
import secrets
import smtplib
import time
import uuid
from email.policy import compat32
from email.utils import formatdate

from anymail.backends.base import AnymailBaseBackend
from anymail.exceptions import AnymailAPIError, AnymailError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import forbid_multi_line_headers, sanitize_address
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import providers
from .models import Delivery, Edition, SendRate, Subscriber, Subscription, Suppression
from .rendering import (
    LINK_MARK,
    RenderedEdition,
    edition_render,
    edition_unsubscribe_url,
    frozen,
    personalise,
    recipient_headers,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a row refused for the moment (4xx) or unsent for a server that is down, this many times
TASK_SECONDS = 60  # a sending task hands over to a fresh one after this long (short tasks redeliver quickly)


def edition_start(edition: Edition) -> None:
    """Render the edition once and snapshot its audience. Call inside a transaction holding the edition's lock."""
    rendered = edition_render(edition)
    now = timezone.now()
    delivery, subscription = Delivery._meta.db_table, Subscription._meta.db_table
    subscriber, suppression = Subscriber._meta.db_table, Suppression._meta.db_table
    with db_connection.cursor() as cursor:
        # One statement, whatever the audience's size: the database copies the rows itself, leaving out
        # suppressed addresses (their subscriptions have ended, but an address is never mailed once suppressed).
        cursor.execute(
            f"INSERT INTO {delivery} (edition_id, subscription_id, status, attempts, error) "  # noqa: S608
            f"SELECT %s, s.id, %s, 0, '' FROM {subscription} s JOIN {subscriber} r ON r.id = s.subscriber_id "
            f"WHERE s.newsletter_id = %s AND s.status = %s AND NOT EXISTS (SELECT 1 FROM {suppression} x "
            "WHERE x.email = r.email AND x.removed_at IS NULL) ORDER BY s.id",
            [edition.pk, Delivery.Status.PENDING, edition.newsletter_id, Subscription.Status.ACTIVE],
        )
        recipients = cursor.rowcount
    edition.rendered_subject, edition.rendered_html, edition.rendered_text = (
        rendered.subject,
        rendered.html,
        rendered.text,
    )
    edition.status = Edition.Status.SENDING
    edition.started_at = edition.heartbeat_at = now
    edition.recipient_count = recipients
    edition.sent_count = edition.failed_count = edition.skipped_count = 0
    edition.paused_reason = ""
    edition.save()
    transaction.on_commit(lambda: senders_enqueue(edition.pk))


def senders_enqueue(edition_id: int, count: int | None = None) -> None:
    """Hand the edition to the workers: NEWSLETTER_SENDERS tasks claim its batches side by side."""
    from .tasks import enqueue, send_edition

    for _ in range(count or settings.NEWSLETTER_SENDERS):
        enqueue(send_edition, edition_id)


def _claimable(edition_id: int, now):
    return Delivery.objects.filter(edition_id=edition_id, status=Delivery.Status.PENDING).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def batch_claim(edition_id: int, size: int) -> tuple[uuid.UUID, list[Delivery]]:
    """Take up to `size` waiting rows that no worker holds, under a new lease."""
    now = timezone.now()
    lease = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            _claimable(edition_id, now)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return lease, []
        # Conditional, so two claims that read the same rows (SQLite has no row locks) cannot both win one.
        _claimable(edition_id, now).filter(pk__in=ids).update(
            lease=lease,
            lease_until=now + datetime.timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    claimed = Delivery.objects.filter(edition_id=edition_id, lease=lease, status=Delivery.Status.PENDING)
    return lease, list(claimed.select_related("subscription__subscriber").order_by("pk"))


class RateLimit:
    """Messages per second across every worker (NEWSLETTER_SEND_RATE), counted in the database they share."""

    def __init__(self, per_second: int):
        self.per_second = per_second

    def take(self, wanted: int) -> int:
        """Wait until some of `wanted` messages may go, and return how many."""
        if self.per_second <= 0:
            return wanted
        while True:
            second = int(time.time())
            SendRate.objects.bulk_create([SendRate(second=second, used=0)], ignore_conflicts=True)
            for grant in (min(wanted, self.per_second), 1):
                won = SendRate.objects.filter(second=second, used__lte=self.per_second - grant).update(
                    used=F("used") + grant
                )
                if won:
                    if second % 60 == 0:
                        SendRate.objects.filter(second__lt=second - 60).delete()
                    return grant
            time.sleep(max(second + 1 - time.time(), 0.01))


def message_build(rendered, *, to: str, copy: tuple[str, str], headers: dict) -> EmailMultiAlternatives:
    """One copy of the edition as it goes out, from its personalised HTML and text (`copy`): the workers'
    build, also used for an editor's test message."""
    html, text = copy
    message = EmailMultiAlternatives(subject=rendered.subject, body=text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def _message(edition: Edition, rendered, delivery: Delivery) -> EmailMultiAlternatives:
    subscription = delivery.subscription
    token = subscription.link_token()
    return message_build(
        rendered,
        to=subscription.subscriber.email,
        copy=personalise(rendered, token=token),
        headers=recipient_headers(edition, subscription, edition_unsubscribe_url(edition, token)),
    )


def _qp(text: str) -> str:
    """Quoted-printable, lines of at most 75 characters so a soft break ('=') may follow the last one."""
    return email.quoprimime.body_encode(text.encode().decode("latin-1"), maxlinelen=75, eol="\r\n")


@functools.lru_cache(maxsize=4)
def _mime_template(rendered: RenderedEdition, sender: str, list_id: str) -> tuple:
    """What every recipient's copy of this edition shares, encoded once: the common headers, and each part's
    body as quoted-printable pieces between which the recipient's token goes (in their unsubscribe and
    preferences links). Joined with soft line breaks ('=' CRLF) around the token, the pieces decode to exactly
    `personalise`'s text; quoted-printable never holds '===', so the boundary cannot occur in a body."""
    policy = compat32.clone(linesep="\r\n")
    common = "".join(
        policy.fold(*forbid_multi_line_headers(name, value, "utf-8"))
        for name, value in (("Subject", rendered.subject), ("From", sender))
    )
    boundary = "===============" + "".join(secrets.choice("0123456789") for _ in range(19)) + "=="
    parts = tuple(
        (
            f'--{boundary}\r\nContent-Type: {kind}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
            tuple(_qp(piece) for piece in body.split(LINK_MARK)),
        )
        for kind, body in (("text/plain", rendered.text), ("text/html", rendered.html))
    )
    head = f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\nMIME-Version: 1.0\r\n{common}'
    tail = (
        f"List-Id: {forbid_multi_line_headers('List-Id', list_id, 'utf-8')[1]}\r\n"
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nPrecedence: bulk\r\nAuto-Submitted: auto-generated\r\n"
    )
    return sanitize_address(sender, "utf-8"), head, tail, parts, f"\r\n--{boundary}--\r\n"


def _message_bytes(edition: Edition, rendered, delivery: Delivery) -> tuple[str, str, bytes] | None:
    """One recipient's copy as SMTP sends it (envelope sender, recipient, bytes), the same message `_message`
    describes but built from the edition's pre-encoded template, not re-encoded as MIME for each recipient.
    None for an address that is not plain ASCII (rare): `_message` handles that one."""
    address = delivery.subscription.subscriber.email
    if not address.isascii() or "\r" in address or "\n" in address:
        return None
    sender, head, tail, parts, end = _mime_template(rendered, settings.DEFAULT_FROM_EMAIL, edition.newsletter.list_id())
    token = delivery.subscription.link_token()
    headers = recipient_headers(edition, delivery.subscription, edition_unsubscribe_url(edition, token))
    link = "=\r\n" + _qp(token) + "=\r\n"
    message = "".join(
        (
            head,
            f"To: {address}\r\nDate: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}\r\n",
            f"Message-ID: {headers['Message-ID']}\r\nList-Unsubscribe: {headers['List-Unsubscribe']}\r\n",
            tail,
            "\r\n",
            "\r\n".join(part_head + link.join(pieces) for part_head, pieces in parts),
            end,
        )
    )
    return sender, address, message.encode("ascii")


def _smtp_code(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return next(iter(error.recipients.values()))[0]
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code
    return None


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


def _later(delivery: Delivery, lease, error: str) -> bool:
    """Give the row back to be tried again after a back-off, or fail it once it has had its attempts."""
    if delivery.attempts >= MAX_ATTEMPTS:
        return _record(delivery, lease, Delivery.Status.FAILED, f"Gave up after {delivery.attempts} attempts: {error}")
    return bool(
        Delivery.objects.filter(pk=delivery.pk, lease=lease).update(
            lease=None, lease_until=timezone.now() + _backoff(delivery.attempts), error=error[:500]
        )
    )


def _record(delivery: Delivery, lease, status: str, error: str = "") -> bool:
    """Record a row's outcome, unless its lease has passed to another worker meanwhile."""
    return bool(
        Delivery.objects.filter(pk=delivery.pk, lease=lease, status=Delivery.Status.PENDING).update(
            status=status,
            sent_at=timezone.now() if status == Delivery.Status.SENT else None,
            error=error[:500],
            lease=None,
            lease_until=None,
        )
    )


def batch_send(edition_id: int, *, rate: RateLimit | None = None) -> bool:
    """Claim and send one batch. Returns whether there may be more to do now."""
    edition = Edition.objects.select_related("newsletter").filter(pk=edition_id).first()
    if edition is None or edition.status != Edition.Status.SENDING:
        return False
    lease, deliveries = batch_claim(edition_id, settings.NEWSLETTER_BATCH_SIZE)
    if not deliveries:
        edition_finish_if_done(edition_id)
        return False
    rate = rate or RateLimit(settings.NEWSLETTER_SEND_RATE)
    rendered = frozen(edition)
    counts = {Delivery.Status.SENT: 0, Delivery.Status.FAILED: 0, Delivery.Status.SKIPPED: 0}
    mail = get_connection()
    if isinstance(mail, AnymailBaseBackend):
        return _provider_batch_send(edition, rendered, lease, deliveries, mail, rate)
    prebuilt = isinstance(mail, SMTPBackend)  # other backends (console, memory) get Django's own message
    # The row of each accepted message, recorded at once as _record(delivery, lease, SENT) would, in one
    # statement prepared once rather than a queryset compiled per message.
    record_sent = (
        f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s, error = '', lease = NULL, "  # noqa: S608
        "lease_until = NULL WHERE id = %s AND lease = %s AND status = %s"
    )
    sent_at = Delivery._meta.get_field("sent_at")
    lease_value = Delivery._meta.get_field("lease").get_db_prep_value(lease, db_connection)
    cursor = db_connection.cursor()
    allowance = 0
    try:
        mail.open()
        for position, delivery in enumerate(deliveries):
            if delivery.subscription.status != Subscription.Status.ACTIVE:  # unsubscribed since the snapshot
                if _record(delivery, lease, Delivery.Status.SKIPPED, "Unsubscribed before it was sent"):
                    counts[Delivery.Status.SKIPPED] += 1
                continue
            if allowance == 0:
                allowance = rate.take(len(deliveries) - position)
            allowance -= 1
            try:
                raw = _message_bytes(edition, rendered, delivery) if prebuilt else None
                if raw is not None:
                    sender, recipient, data = raw
                    mail.connection.sendmail(sender, [recipient], data)
                else:
                    mail.send_messages([_message(edition, rendered, delivery)])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
                code = _smtp_code(error) or 0
                reason = f"{code} {_reason(error)}".strip()
                if isinstance(error, smtplib.SMTPSenderRefused):
                    raise  # our own address refused: nothing in this batch can go
                if 500 <= code < 600:
                    if _refused_for_good(delivery, lease, reason, hard_bounce=_is_hard_bounce(reason, code)):
                        counts[Delivery.Status.FAILED] += 1
                else:
                    _later(delivery, lease, reason)
                continue
            now = sent_at.get_db_prep_value(timezone.now(), db_connection)
            cursor.execute(record_sent, [Delivery.Status.SENT, now, delivery.pk, lease_value, Delivery.Status.PENDING])
            if cursor.rowcount != 1:
                logger.warning("Edition %s: a batch's lease passed to another worker; stopping it", edition_id)
                break
            counts[Delivery.Status.SENT] += 1
    except (OSError, smtplib.SMTPException) as error:
        # The server is down, hung up or refused us: what is not recorded goes back, to be tried after a pause.
        logger.warning("Edition %s: mail server problem, the batch waits: %s", edition_id, error)
        for delivery in Delivery.objects.filter(lease=lease, status=Delivery.Status.PENDING):
            _later(delivery, lease, f"Mail server: {error}"[:500])
        _progress(edition_id, counts)
        _pause_if_failing(edition_id, server_error=str(error))
        return False
    finally:
        cursor.close()
        try:
            mail.close()
        except Exception:  # noqa: S110 (a connection already gone cannot be closed more)
            pass
    _progress(edition_id, counts)
    _pause_if_failing(edition_id)
    return True


def _provider_batch_send(edition: Edition, rendered, lease, deliveries: list[Delivery], mail, rate: RateLimit) -> bool:
    """batch_send through an email service provider's API (newsletter/providers.py): one request for as many
    recipients as the provider merges at once, or one message per recipient, each row recorded from the
    provider's answer for its recipient. A provider that is down or refuses the request gives the rows back
    to be tried later, as a mail server that is down does."""
    provider = providers.provider_for(mail)
    counts = {Delivery.Status.SENT: 0, Delivery.Status.FAILED: 0, Delivery.Status.SKIPPED: 0}
    waiting = []
    for delivery in deliveries:
        if delivery.subscription.status != Subscription.Status.ACTIVE:  # unsubscribed since the snapshot
            if _record(delivery, lease, Delivery.Status.SKIPPED, "Unsubscribed before it was sent"):
                counts[Delivery.Status.SKIPPED] += 1
        else:
            waiting.append(delivery)
    allowance = 0
    try:
        mail.open()
        while waiting:
            if allowance == 0:
                allowance = rate.take(len(waiting))
            size = min(allowance, provider.per_request if provider.field else 1)
            allowance -= size
            chunk, waiting = waiting[:size], waiting[size:]
            if not _provider_send(edition, rendered, provider, chunk, mail, lease, counts):
                logger.warning("Edition %s: a batch's lease passed to another worker; stopping it", edition.pk)
                break
    except AnymailError as error:
        logger.warning("Edition %s: the email provider did not take the batch, it waits: %s", edition.pk, error)
        for delivery in Delivery.objects.filter(lease=lease, status=Delivery.Status.PENDING):
            _later(delivery, lease, f"Email provider: {_provider_reason(error)}")
        _progress(edition.pk, counts)
        _pause_if_failing(edition.pk, server_error=_provider_reason(error))
        return False
    finally:
        try:
            mail.close()
        except Exception:  # noqa: S110 (a session already gone cannot be closed more)
            pass
    _progress(edition.pk, counts)
    _pause_if_failing(edition.pk)
    return True


# A request the provider refuses for what it holds (a malformed address, a field it does not take) rather than
# for who sends it (401, 403) or when (429, 5xx): another try of the same request would be refused again.
REFUSED_REQUEST = {400, 422}


def _provider_send(edition: Edition, rendered, provider, chunk: list[Delivery], mail, lease, counts: dict) -> bool:
    """Send these rows as one request and record them; False if some row is no longer ours. A batch request
    refused for what it holds is split, each recipient sent alone, so one bad address fails only its own row."""
    if provider.field:
        message = providers.batch_message(edition, rendered, provider, chunk)
    else:
        message = providers.single_message(edition, provider, chunk[0], _message(edition, rendered, chunk[0]))
    try:
        mail.send_messages([message])
    except AnymailRecipientsRefused:
        pass  # every recipient refused: their statuses, read next, say so
    except (AnymailAPIError, AnymailInvalidAddress) as error:
        if provider.idempotent and _sent_under_this_key(error):
            return _provider_sent_before(chunk, lease, counts)
        if not (isinstance(error, AnymailInvalidAddress) or error.status_code in REFUSED_REQUEST):
            raise
        if provider.field:
            alone = dataclasses.replace(provider, field=None)
            return all([_provider_send(edition, rendered, alone, [row], mail, lease, counts) for row in chunk])
        refused = f"{provider.name} refused it: {_provider_reason(error)}"
        if _refused_for_good(chunk[0], lease, refused, hard_bounce=isinstance(error, AnymailInvalidAddress)):
            counts[Delivery.Status.FAILED] += 1
        return True
    return _provider_record(provider, chunk, message, lease, counts)


def _sent_under_this_key(error: AnymailAPIError) -> bool:
    """Resend's answer to a key it has seen, in the last 24 hours, on a request it processed: the retry's
    content differs (its links are signed anew), so it neither replays the first answer nor sends again."""
    if error.status_code != 409:
        return False
    try:
        return error.response.json().get("name") == "invalid_idempotent_request"
    except (AttributeError, ValueError):
        return False


def _provider_sent_before(chunk: list[Delivery], lease, counts: dict) -> bool:
    """Record rows an earlier attempt of the same request sent (its answer was lost): sent, no message id."""
    pks = [delivery.pk for delivery in chunk]
    recorded = Delivery.objects.filter(pk__in=pks, lease=lease, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        error="Sent by an earlier attempt: the provider knew the request's idempotency key",
        lease=None,
        lease_until=None,
    )
    counts[Delivery.Status.SENT] += recorded
    return recorded == len(pks)


def _provider_reason(error: Exception) -> str:
    return " ".join(str(error).split())[:400]


UNCONFIRMED = "The provider took the request without saying whether for this recipient; its webhooks will"


def _provider_record(provider, chunk: list[Delivery], message, lease, counts: dict) -> bool:
    """Record each row from the provider's status for its recipient; False if some row is no longer ours.
    A request the provider took counts as sent for a recipient it did not answer for ("unknown", as SparkPost
    says when some of a batch were rejected but not which): sending the batch again would repeat it to the
    others, and the provider's webhooks report the ones it rejected."""
    statuses = {email.lower(): status for email, status in message.anymail_status.recipients.items()}
    accepted: dict[tuple[str, str], list[int]] = {}  # (the provider's message id, note) -> the rows
    for delivery in chunk:
        status = statuses.get(delivery.subscription.subscriber.email.lower())
        state = status.status if status else None
        if state in {"rejected", "invalid"}:
            # The provider will not send to it: the address is invalid, or on the provider's own suppression list.
            if _refused_for_good(delivery, lease, f"{provider.name}: {state}", hard_bounce=True):
                counts[Delivery.Status.FAILED] += 1
        elif state == "failed":  # the provider took the request but could not send this one: it waits
            _later(delivery, lease, f"{provider.name}: failed")
        else:
            note = "" if state in {"queued", "sent"} else UNCONFIRMED
            message_id = str(status.message_id or "")[:200] if status else ""
            accepted.setdefault((message_id, note), []).append(delivery.pk)
    ours = True
    for (message_id, note), pks in accepted.items():
        recorded = Delivery.objects.filter(pk__in=pks, lease=lease, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SENT,
            sent_at=timezone.now(),
            error=note,
            lease=None,
            lease_until=None,
            provider_message_id=message_id,
        )
        counts[Delivery.Status.SENT] += recorded
        ours = ours and recorded == len(pks)
    return ours


def _is_hard_bounce(reason: str, code: int) -> bool:
    """Whether a permanent refusal (5xx for this recipient) is of the address itself: a hard bounce."""
    from .suppression import smtp_refusal_kind

    return 500 <= code < 600 and smtp_refusal_kind(reason, code) == "hard"


def _refused_for_good(delivery: Delivery, lease, reason: str, *, hard_bounce: bool) -> bool:
    """A recipient refused for good (the mail server's 5xx, the provider's "rejected" or "invalid"): the row
    fails; a refusal of the address itself is a hard bounce, which suppresses it for good."""
    recorded = _record(delivery, lease, Delivery.Status.FAILED, reason)
    if recorded and hard_bounce:
        from .suppression import suppress

        try:
            suppress(
                delivery.subscription.subscriber.email,
                reason=Suppression.Reason.HARD_BOUNCE,
                note=f"Refused by the mail server when sent: {reason}",
            )
        except ValidationError:  # stored before addresses were checked as they are now: nothing to suppress
            logger.warning("Delivery %s was refused for an address that is not one", delivery.pk)
    return recorded


def _reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        message = next(iter(error.recipients.values()))[1]
    else:
        message = getattr(error, "smtp_error", b"") or str(error)
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


def _progress(edition_id: int, counts: dict) -> None:
    Edition.objects.filter(pk=edition_id).update(
        sent_count=F("sent_count") + counts[Delivery.Status.SENT],
        failed_count=F("failed_count") + counts[Delivery.Status.FAILED],
        skipped_count=F("skipped_count") + counts[Delivery.Status.SKIPPED],
        heartbeat_at=timezone.now(),
    )


def _pause_if_failing(edition_id: int, server_error: str = "") -> None:
    """Past the failure threshold, or with the mail server unreachable batch after batch, the edition pauses."""
    edition = Edition.objects.get(pk=edition_id)
    done = edition.sent_count + edition.failed_count
    reason = ""
    if edition.failed_count >= 50 and edition.failed_count * 100 > settings.NEWSLETTER_FAILURE_THRESHOLD * done:
        reason = (
            f"{edition.failed_count} of {done} messages were refused by the mail server, more than "
            f"{settings.NEWSLETTER_FAILURE_THRESHOLD:g}%. Check the failures before resuming."
        )
    elif (
        server_error
        and Delivery.objects.filter(
            edition_id=edition_id, status=Delivery.Status.PENDING, attempts__gte=MAX_ATTEMPTS - 1
        ).exists()
    ):
        reason = f"The mail server could not be reached, attempt after attempt: {server_error}"[:500]
    if reason:
        paused = Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).update(
            status=Edition.Status.PAUSED, paused_reason=reason
        )
        if paused:
            from .editions import log_step

            log_step(edition, None, f"Paused itself: {reason}")


def edition_finish_if_done(edition_id: int) -> bool:
    """Mark the edition sent once no row waits; recount from the rows (a crash can leave counters short)."""
    if Delivery.objects.filter(edition_id=edition_id, status=Delivery.Status.PENDING).exists():
        return False
    from .editions import counters_refresh, log_step

    finished = Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).update(
        status=Edition.Status.SENT, finished_at=timezone.now()
    )
    if finished:
        edition = Edition.objects.get(pk=edition_id)
        counters_refresh(edition)
        edition.refresh_from_db()
        log_step(
            edition,
            None,
            f"Sent: {edition.sent_count} sent, {edition.failed_count} failed, {edition.skipped_count} skipped",
        )
    return bool(finished)


def edition_send(edition_id: int, *, seconds: float = TASK_SECONDS) -> bool:
    """Send batches for up to `seconds`. Returns whether work remains for a follow-up task."""
    rate = RateLimit(settings.NEWSLETTER_SEND_RATE)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not batch_send(edition_id, rate=rate):
            return False
    return True


def editions_take_over(*, now=None) -> list[int]:
    """The scheduler's part: sending editions with rows nobody is working on get new senders (after a crash,
    or when rows that had to wait may be tried again); editions with nothing left are marked sent."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=max(settings.NEWSLETTER_TICK_SECONDS, 1) * 2)
    revived = []
    for edition_id in Edition.objects.filter(status=Edition.Status.SENDING).values_list("pk", flat=True):
        if edition_finish_if_done(edition_id):
            continue
        quiet = Edition.objects.filter(pk=edition_id).filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None))
        if quiet.exists() and _claimable(edition_id, now).exists():
            senders_enqueue(edition_id)
            revived.append(edition_id)
    return revived
