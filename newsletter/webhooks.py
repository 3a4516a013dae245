"""The email provider's tracking webhooks: what became of each message, stored once, acted on once.

django-anymail receives and authenticates each provider's webhook (basic auth, or the provider's
signature) and turns its payload into normalised events; `event_record` stores each event once (a
provider that sends its webhook again changes nothing) and acts on it: a hard bounce, a complaint or
an unsubscribe at the provider suppresses the address at once and ends its subscriptions; soft bounces
suppress after NEWSLETTER_SOFT_BOUNCE_LIMIT messages within NEWSLETTER_SOFT_BOUNCE_DAYS; a complaint
rate past NEWSLETTER_COMPLAINT_PAUSE pauses the edition that drew it.

A provider's webhook is served only once its secret is set: anymail would accept an unauthenticated
webhook with a warning, and anyone on the web could then suppress any address.
"""

import functools
import hashlib
import json
import logging
from datetime import timedelta

from anymail.exceptions import AnymailError
from anymail.signals import tracking
from anymail.utils import get_anymail_setting
from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.dispatch import receiver
from django.http import Http404, HttpResponseBadRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from newsroom.text import one_line

from .models import Delivery, DeliveryEvent, Edition, Suppression, clean_address
from .suppression import smtp_refusal_kind, suppress

logger = logging.getLogger(__name__)

# provider (as in the URL) -> (anymail's view, the settings any one of which authenticates it). The views
# are imported when first asked for: some bring heavy libraries (svix, boto3) every process would carry.
PROVIDERS = {
    "amazon_ses": ("anymail.webhooks.amazon_ses.AmazonSESTrackingWebhookView", ["webhook_secret"]),
    "brevo": ("anymail.webhooks.brevo.BrevoTrackingWebhookView", ["webhook_secret"]),
    "mailgun": (
        "anymail.webhooks.mailgun.MailgunTrackingWebhookView",
        ["mailgun_webhook_signing_key", "mailgun_api_key"],
    ),
    "mailjet": ("anymail.webhooks.mailjet.MailjetTrackingWebhookView", ["webhook_secret"]),
    "postmark": ("anymail.webhooks.postmark.PostmarkTrackingWebhookView", ["webhook_secret"]),
    "resend": ("anymail.webhooks.resend.ResendTrackingWebhookView", ["resend_signing_secret", "webhook_secret"]),
    "sendgrid": ("anymail.webhooks.sendgrid.SendGridTrackingWebhookView", ["webhook_secret"]),
    "sparkpost": ("anymail.webhooks.sparkpost.SparkPostTrackingWebhookView", ["webhook_secret"]),
}


@functools.cache
def _view(provider: str):
    return import_string(PROVIDERS[provider][0]).as_view()


EVENT_TYPES = set(DeliveryEvent.Type.values)
# Where to look for the message an event is about when the provider names neither its id nor our metadata
# (a message sent over SMTP): the latest edition mailed to that address within this time.
ATTRIBUTION_WINDOW = timedelta(days=30)


def webhook_configured(provider: str) -> bool:
    _, secrets = PROVIDERS[provider]
    return any(get_anymail_setting(name, default=None) for name in secrets)


class EventNotRecorded(Exception):
    """Storing or acting on a well-formed event failed: a server error, which the provider will retry."""


@csrf_exempt
def tracking_webhook(request, provider: str):
    """anymail's tracking webhook view of this provider, once its secret is set; otherwise there is none.
    A payload anymail cannot read (not JSON, nested deeper than Python parses, fields missing) is the
    sender's error: 400, nothing stored."""
    if provider not in PROVIDERS or not webhook_configured(provider):
        raise Http404("No webhook is configured for this provider.")
    try:
        return _view(provider)(request)
    except (EventNotRecorded, SuspiciousOperation):
        raise  # a failure of ours (the provider tries again), or a bad signature (Django answers 400)
    except (AnymailError, ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError) as error:
        logger.warning("A %s webhook whose payload could not be read: %r", provider, error)
        return HttpResponseBadRequest("The webhook's payload could not be read.", content_type="text/plain")


@receiver(tracking, dispatch_uid="newsletter.tracking")
def tracking_received(sender, event, esp_name, **kwargs):
    try:
        event_record(provider=esp_name.lower().replace(" ", "_"), event=event)
    except Exception as error:
        raise EventNotRecorded(f"A {esp_name} event could not be recorded") from error


def _event_id(event, recipient: str) -> str:
    """The provider's event id, with the recipient: one notification of Amazon SES names several recipients
    under one id. Some providers give some events no id: then the payload's digest, the same when the webhook
    is sent again."""
    if event.event_id:
        key = f"{event.event_id}|{recipient}"
        if len(key) <= 200 and key == _storable(key):
            return key
        return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    payload = json.dumps([event.esp_event, recipient], sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


HARD, SOFT, BLOCK = "hard", "soft", "block"
# SparkPost's bounce classes: the address is wrong (10 invalid recipient, 30 no such recipient, 90 unsubscribe
# request), or the receiver blocks the sender or the content (50-54), or it will do later (the rest).
SPARKPOST_HARD, SPARKPOST_BLOCK = {10, 30, 90}, set(range(50, 60))


def _esp(event) -> dict:
    return event.esp_event if isinstance(event.esp_event, dict) else {}


def bounce_kind(provider: str, event) -> str:
    """What a bounce says of the address: HARD (it is wrong: suppress now), SOFT (it may work later: count it),
    or BLOCK (the receiver refused the sender or the message: the address is not at fault, and suppressing
    for it would let one block wipe out the list). anymail calls all of them "bounced"; the provider's own
    fields say which."""
    esp = _esp(event)
    if provider == "postmark":
        return {"HardBounce": HARD, "SoftBounce": SOFT}.get(esp.get("Type"), BLOCK)
    if provider == "amazon_ses":
        bounce_type = (esp.get("bounce") or {}).get("bounceType") if isinstance(esp.get("bounce"), dict) else None
        return HARD if bounce_type == "Permanent" else SOFT
    if provider == "brevo":
        return {"hard_bounce": HARD, "soft_bounce": SOFT}.get(esp.get("event"), BLOCK)
    if provider == "sparkpost":
        msys = esp.get("msys") if isinstance(esp.get("msys"), dict) else {}
        details = next((value for value in msys.values() if isinstance(value, dict)), esp)
        try:
            bounce_class = int(details.get("bounce_class"))
        except (TypeError, ValueError):
            bounce_class = None
        if bounce_class is not None:
            return HARD if bounce_class in SPARKPOST_HARD else BLOCK if bounce_class in SPARKPOST_BLOCK else SOFT
    if provider == "sendgrid" and esp.get("type") == "blocked":
        return BLOCK
    from_text = smtp_refusal_kind(" ".join(str(part) for part in (event.mta_response, event.description) if part))
    if from_text:
        return from_text
    return HARD if event.reject_reason in {"bounced", "invalid", None} else BLOCK


def _delivery_for(event, recipient: str) -> Delivery | None:
    """The delivery the event is about: named in our metadata, or by the provider's message id, or else (for
    mail sent over SMTP, which has no provider id) the latest edition sent to that address."""
    deliveries = Delivery.objects.select_related("subscription__subscriber", "edition")
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    delivery_id = str(metadata.get("delivery", ""))
    if delivery_id.isascii() and delivery_id.isdigit() and len(delivery_id) <= 18:
        found = deliveries.filter(pk=int(delivery_id), subscription__subscriber__email=recipient).first()
        if found:
            return found
    if event.message_id:
        # Mailgun and SparkPost give a whole batch request one id: the recipient tells its messages apart.
        found = deliveries.filter(
            provider_message_id=_storable(event.message_id)[:200], subscription__subscriber__email=recipient
        ).first()
        if found or settings.EMAIL_BACKEND.startswith("anymail."):
            return found  # sent through the provider, every edition's message has its id: this one is another
    return (
        deliveries.filter(
            subscription__subscriber__email=recipient,
            status=Delivery.Status.SENT,
            sent_at__gte=timezone.now() - ATTRIBUTION_WINDOW,
        )
        .order_by("-sent_at", "-pk")
        .first()
    )


def _storable(value) -> str:
    """The provider's words as text a database takes: one line, no NUL or other control character, no lone
    surrogate (which UTF-8 cannot carry)."""
    return one_line(str(value)).encode("utf-8", "replace").decode("utf-8")


def event_record(*, provider: str, event) -> DeliveryEvent | None:
    """Store one tracking event and act on it. None when it was stored before (the webhook sent again), or
    when what it names as the address is not one: the provider is answered as for any event, so it stops
    sending what nothing here can use, and a warning says so."""
    try:
        recipient = clean_address(event.recipient) if event.recipient not in (None, "") else ""
    except ValidationError:
        logger.warning(
            "A %s %s event was dropped: its recipient (%s) is not an email address",
            provider,
            _storable(event.event_type)[:40],
            type(event.recipient).__name__,
        )
        return None
    event_type = event.event_type if event.event_type in EVENT_TYPES else DeliveryEvent.Type.UNKNOWN
    if event_type == DeliveryEvent.Type.BOUNCED:
        event_type = {SOFT: DeliveryEvent.Type.DEFERRED, BLOCK: DeliveryEvent.Type.BLOCKED}.get(
            bounce_kind(provider, event), event_type
        )
    delivery = _delivery_for(event, recipient) if recipient else None
    description = _storable(" ".join(str(part) for part in (event.description, event.mta_response) if part))
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = DeliveryEvent.objects.create(
                    provider=provider[:40],
                    event_id=_event_id(event, recipient),
                    type=event_type,
                    occurred_at=event.timestamp or timezone.now(),
                    recipient=recipient[:254],
                    message_id=_storable(event.message_id or "")[:200],
                    delivery=delivery,
                    edition=delivery.edition if delivery else None,
                    reject_reason=_storable(event.reject_reason or "")[:40],
                    description=description[:500],
                )
        except IntegrityError:
            return None  # this event was stored before: the provider sent its webhook again
        _act(stored)
    return stored


def _reason_for(event: DeliveryEvent) -> str | None:
    kinds = DeliveryEvent.Type
    if event.type == kinds.BOUNCED:
        return Suppression.Reason.HARD_BOUNCE
    if event.type == kinds.COMPLAINED:
        return Suppression.Reason.COMPLAINT
    if event.type == kinds.UNSUBSCRIBED:
        return Suppression.Reason.PROVIDER_UNSUBSCRIBE
    if event.type == kinds.REJECTED:
        # The provider refused to send: because the address is dead, or because it suppresses it itself.
        return {
            "bounced": Suppression.Reason.HARD_BOUNCE,
            "invalid": Suppression.Reason.HARD_BOUNCE,
            "spam": Suppression.Reason.COMPLAINT,
            "unsubscribed": Suppression.Reason.PROVIDER_UNSUBSCRIBE,
        }.get(event.reject_reason)
    return None


def _act(event: DeliveryEvent) -> None:
    if not event.recipient:
        return
    reason = _reason_for(event)
    if event.type == DeliveryEvent.Type.DEFERRED:
        reason = Suppression.Reason.SOFT_BOUNCES if _soft_bounces(event.recipient) else None
    if reason is None:
        return
    # Not the provider's words, which often repeat the address: the source event keeps them (until an erasure).
    note = f"{event.get_type_display()} reported by {event.provider}"
    suppress(event.recipient, reason=reason, event=event, note=note)
    if reason == Suppression.Reason.COMPLAINT and event.edition_id:
        edition_pause_if_complained(event.edition_id)


def _soft_bounces(recipient: str) -> bool:
    """Whether the address bounced softly on enough different messages lately to stop mailing it."""
    since = timezone.now() - timedelta(days=settings.NEWSLETTER_SOFT_BOUNCE_DAYS)
    bounced = DeliveryEvent.objects.filter(
        recipient=recipient, type=DeliveryEvent.Type.DEFERRED, occurred_at__gte=since
    )
    messages = set()
    for delivery_id, message_id, pk in bounced.values_list("delivery_id", "message_id", "pk"):
        messages.add(("m", message_id) if message_id else ("d", delivery_id) if delivery_id else ("e", pk))
    return len(messages) >= settings.NEWSLETTER_SOFT_BOUNCE_LIMIT


def complaint_rate(edition: Edition) -> float:
    """Complaints as a percentage of the edition's recipients."""
    if not edition.recipient_count:
        return 0.0
    complaints = DeliveryEvent.objects.filter(edition=edition, type=DeliveryEvent.Type.COMPLAINED).aggregate(
        n=Count("recipient", distinct=True, filter=~Q(recipient=""))
    )["n"]
    return complaints * 100 / edition.recipient_count


def edition_pause_if_complained(edition_id: int) -> bool:
    """Past NEWSLETTER_COMPLAINT_PAUSE percent of complaints, a sending edition pauses itself and says why."""
    edition = Edition.objects.get(pk=edition_id)
    rate = complaint_rate(edition)
    if edition.status != Edition.Status.SENDING or rate <= settings.NEWSLETTER_COMPLAINT_PAUSE:
        return False
    reason = (
        f"Readers marked {rate:.2f}% of this edition as spam, more than {settings.NEWSLETTER_COMPLAINT_PAUSE:g}%: "
        "mailbox providers throttle or block senders past that. Check what drew the complaints before resuming."
    )
    paused = Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).update(
        status=Edition.Status.PAUSED, paused_reason=reason[:500]
    )
    if paused:
        from .editions import log_step

        log_step(edition, None, f"Paused itself: {reason}")
    return bool(paused)
