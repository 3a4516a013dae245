"""Newsletter workflows: sign-up, confirmation, unsubscribing, and the mail they send."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .consent import CONSENT_VERSION, consent_text
from .models import Newsletter, Subscriber, Subscription, normalise_email
from .tokens import read_confirmation_token, read_unsubscribe_token

logger = logging.getLogger(__name__)

RESEND_AFTER = timedelta(minutes=10)


class LinkNoLongerValid(Exception):
    """The link was genuine but points at nothing that can still be done (removed, replaced, unsubscribed)."""


def subscription_request(
    *, email: str, newsletter: Newsletter, source: str = "", ip: str | None = None, user_agent: str = ""
) -> Subscription:
    """Ask for a subscription: mail a confirmation link unless one went out in the last 10 minutes.

    The caller answers the same whatever happens here, so nobody can learn who subscribes.
    """
    now = timezone.now()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(email=normalise_email(email))
        subscription, _ = Subscription.objects.get_or_create(
            subscriber=subscriber, newsletter=newsletter, defaults={"subscribed_at": now}
        )
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.status == Subscription.Status.ACTIVE:
            return subscription
        recently_sent = subscription.confirmation_sent_at and now - subscription.confirmation_sent_at < RESEND_AFTER
        if subscription.status == Subscription.Status.PENDING and recently_sent:
            return subscription
        subscription.status = Subscription.Status.PENDING
        subscription.subscribed_at = now
        subscription.unsubscribed_at = None
        subscription.source = source[:500]
        subscription.consent_text = consent_text()
        subscription.consent_version = CONSENT_VERSION
        subscription.signup_ip = ip
        subscription.signup_user_agent = user_agent[:500]
        subscription.confirmation_sent_at = now
        subscription.save()
        transaction.on_commit(lambda: confirmation_send(subscription=subscription))
    return subscription


def subscription_confirm(*, token: str, ip: str | None = None, user_agent: str = "") -> Subscription:
    """Activate the subscription a confirmation link names; confirming twice changes nothing."""
    pk, nonce = read_confirmation_token(token)
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update().select_related("newsletter", "subscriber").filter(pk=pk).first()
        )
        if subscription is None or subscription.token_nonce != nonce:
            raise LinkNoLongerValid
        if subscription.status == Subscription.Status.UNSUBSCRIBED:
            raise LinkNoLongerValid
        if subscription.status == Subscription.Status.PENDING:
            subscription.status = Subscription.Status.ACTIVE
            subscription.confirmed_at = timezone.now()
            subscription.confirm_ip = ip
            subscription.confirm_user_agent = user_agent[:500]
            subscription.save()
    return subscription


def subscription_for_link(*, token: str, confirmation: bool) -> Subscription:
    """The subscription a link names, for the page that asks for the click (changes nothing)."""
    if confirmation:
        pk, nonce = read_confirmation_token(token)
    else:
        pk, nonce = read_unsubscribe_token(token), None
    subscription = Subscription.objects.select_related("newsletter", "subscriber").filter(pk=pk).first()
    if subscription is None or (nonce is not None and subscription.token_nonce != nonce):
        raise LinkNoLongerValid
    return subscription


def subscription_unsubscribe(*, token: str) -> Subscription:
    """Unsubscribe at once, keeping the record; unsubscribing twice changes nothing."""
    pk = read_unsubscribe_token(token)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("newsletter").filter(pk=pk).first()
        if subscription is None:
            raise LinkNoLongerValid
        if subscription.status != Subscription.Status.UNSUBSCRIBED:
            subscription.status = Subscription.Status.UNSUBSCRIBED
            subscription.unsubscribed_at = timezone.now()
            subscription.token_nonce = F("token_nonce") + 1  # an old confirmation link must not re-subscribe
            subscription.save()
            subscription.refresh_from_db()
    return subscription


def subscriber_message(
    *, subscription: Subscription, subject: str, template: str, context: dict
) -> EmailMultiAlternatives:
    """A message to a subscriber: plain text and HTML, with an unsubscribe link and RFC 8058 headers."""
    unsubscribe_url = subscription.unsubscribe_url()
    context = {
        "subscription": subscription,
        "newsletter": subscription.newsletter,
        "site_name": settings.SITE_NAME,
        "unsubscribe_url": unsubscribe_url,
        **context,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"newsletter/email/{template}.txt", context),
        to=[subscription.subscriber.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"newsletter/email/{template}.html", context), "text/html")
    return message


def confirmation_send(*, subscription: Subscription) -> bool:
    """Mail the confirmation link. A mail server that is down is logged, not shown to the reader."""
    message = subscriber_message(
        subscription=subscription,
        subject=f"Confirm your subscription to {subscription.newsletter.name}",
        template="confirm",
        context={"confirm_url": subscription.confirm_url()},
    )
    try:
        message.send()
    except OSError:
        logger.exception("Could not send the confirmation email for subscription %s", subscription.pk)
        Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=None)  # allow a retry at once
        return False
    return True


def subscribers_erase(*, subscribers) -> int:
    """A reader's erasure request: their address, subscriptions and the address in the admin log, gone."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    with transaction.atomic():
        subscriber_ids = [str(pk) for pk in subscribers.values_list("pk", flat=True)]
        subscription_ids = [
            str(pk) for pk in Subscription.objects.filter(subscriber__in=subscribers).values_list("pk", flat=True)
        ]
        for model, ids in ((Subscriber, subscriber_ids), (Subscription, subscription_ids)):
            LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id__in=ids).update(
                object_repr="(erased)", change_message=""
            )
        count, _ = Subscriber.objects.filter(pk__in=subscriber_ids).delete()
    return count
