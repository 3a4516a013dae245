"""Newsletter workflows: sign-up, confirmation, unsubscribing, erasure, and the mail they send."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from newsroom import ratelimit
from newsroom.text import one_line

from . import tasks
from .consent import CONSENT_VERSION, consent_text
from .models import ConsentEvent, Delivery, Newsletter, Subscriber, Subscription, absolute_url, normalise_email
from .suppression import LIFTED_BY_CONFIRMED_SIGNUP, is_suppressed, suppressions_forget, unsuppress
from .tokens import read_confirmation_token, read_unsubscribe_token

logger = logging.getLogger(__name__)

RESEND_AFTER = timedelta(minutes=10)


class ConfirmationsPaused(Exception):
    """The site has mailed NEWSLETTER_CONFIRMATIONS_PER_HOUR confirmation links this hour: no more until the hour
    is out, so nobody can use the sign-up form to flood mailboxes, from however many addresses."""


def confirmation_allowed() -> bool:
    """Count one confirmation email against the site-wide hourly cap; False once it is reached."""
    allowed = ratelimit.hit(
        "confirmation-emails", limit=settings.NEWSLETTER_CONFIRMATIONS_PER_HOUR, window_seconds=3600
    )
    if not allowed and ratelimit.hit("confirmation-emails-said", limit=1, window_seconds=600):
        logger.warning(
            "The hourly cap of %d confirmation emails is reached: sign-ups are refused until the hour is out. "
            "A flood of sign-ups, or a cap too low for the day's news (NEWSLETTER_CONFIRMATIONS_PER_HOUR).",
            settings.NEWSLETTER_CONFIRMATIONS_PER_HOUR,
        )
    return allowed


class LinkNoLongerValid(Exception):
    """The link was genuine but points at nothing that can still be done (removed, replaced, unsubscribed)."""


def subscription_request(
    *, email: str, newsletter: Newsletter, source: str = "", ip: str | None = None, user_agent: str = ""
) -> Subscription | None:
    """Ask for a subscription: mail a confirmation link unless one went out in the last 10 minutes. None for
    a suppressed address, of which nothing is stored and to which nothing is sent.

    The caller answers the same whatever happens here, so nobody can learn who subscribes or who is suppressed.
    """
    if is_suppressed(email, signup=True):
        return None
    now = timezone.now()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(email=normalise_email(email))
        subscription, _ = Subscription.objects.get_or_create(
            subscriber=subscriber, newsletter=newsletter, defaults={"subscribed_at": now}
        )
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.status == Subscription.Status.ACTIVE:
            return subscription
        # Counted from the last email the mail server accepted: a sign-up whose email never went gets another.
        recently_sent = subscription.confirmation_sent_at and now - subscription.confirmation_sent_at < RESEND_AFTER
        if subscription.status == Subscription.Status.PENDING and recently_sent:
            return subscription
        owed = subscription.confirmation_requested_at and (
            subscription.confirmation_sent_at is None
            or subscription.confirmation_sent_at < subscription.confirmation_requested_at
        )
        if (
            subscription.status == Subscription.Status.PENDING
            and owed
            and now - subscription.confirmation_requested_at < RESEND_AFTER
        ):
            # The email asked for minutes ago has not gone yet: queue it again (once sent, it is not sent twice).
            transaction.on_commit(lambda: tasks.enqueue(tasks.send_confirmation, subscription.pk))
            return subscription
        if not confirmation_allowed():
            raise ConfirmationsPaused
        if subscription.status == Subscription.Status.UNSUBSCRIBED:
            # A new cycle: links from before it stop working; the old cycle stays in the event history.
            subscription.token_nonce += 1
            subscription.confirmed_at = subscription.confirm_ip = None
            subscription.confirm_user_agent = ""
        subscription.status = Subscription.Status.PENDING
        subscription.subscribed_at = now
        subscription.unsubscribed_at = None
        subscription.source = source[:500]
        subscription.consent_text = consent_text()
        subscription.consent_version = CONSENT_VERSION
        subscription.signup_ip = ip
        subscription.signup_user_agent = user_agent[:500]
        subscription.confirmation_requested_at = now
        subscription.save()
        ConsentEvent.objects.create(
            subscription=subscription,
            kind=ConsentEvent.Kind.REQUESTED,
            at=now,
            source=subscription.source,
            consent_text=subscription.consent_text,
            consent_version=CONSENT_VERSION,
            ip=ip,
            user_agent=subscription.signup_user_agent,
        )
        transaction.on_commit(lambda: tasks.enqueue(tasks.send_confirmation, subscription.pk))
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
            if is_suppressed(subscription.subscriber.email, signup=True):
                raise LinkNoLongerValid  # suppressed since the link was sent (it bounced, or was complained of)
            # A reader erased on request who signs up again and confirms has asked for mail once more.
            unsuppress(
                [subscription.subscriber.email],
                reasons=LIFTED_BY_CONFIRMED_SIGNUP,
                reason="The reader signed up again and confirmed",
            )
            now = timezone.now()
            subscription.status = Subscription.Status.ACTIVE
            subscription.confirmed_at = now
            subscription.confirm_ip = ip
            subscription.confirm_user_agent = user_agent[:500]
            subscription.save()
            ConsentEvent.objects.create(
                subscription=subscription,
                kind=ConsentEvent.Kind.CONFIRMED,
                at=now,
                ip=ip,
                user_agent=subscription.confirm_user_agent,
            )
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


def subscription_unsubscribe(
    *, token: str, ip: str | None = None, user_agent: str = "", edition_id: int | None = None
) -> Subscription:
    """Unsubscribe the subscription an unsubscribe link names, at once; twice changes nothing.

    `edition_id` is the edition the link says it came from; it is recorded only if that edition was
    delivered to this subscription, so an edited link cannot skew the edition's report."""
    pk = read_unsubscribe_token(token)
    if not Subscription.objects.filter(pk=pk).exists():
        raise LinkNoLongerValid
    sent = Delivery.objects.filter(subscription_id=pk, edition_id=edition_id, status=Delivery.Status.SENT)
    if edition_id is not None and not sent.exists():
        edition_id = None
    subscriptions_unsubscribe(
        subscriptions=Subscription.objects.filter(pk=pk),
        ip=ip,
        user_agent=user_agent,
        note="unsubscribe link",
        edition_id=edition_id,
    )
    return Subscription.objects.select_related("newsletter").get(pk=pk)


def subscriptions_unsubscribe(
    *, subscriptions, ip=None, user_agent: str = "", note: str = "", edition_id: int | None = None
) -> int:
    """End these subscriptions now, keeping their records; older confirmation links stop working."""
    now = timezone.now()
    with transaction.atomic():
        ending = list(
            subscriptions.select_for_update()
            .exclude(status=Subscription.Status.UNSUBSCRIBED)
            .values_list("pk", flat=True)
        )
        Subscription.objects.filter(pk__in=ending).update(
            status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=now, token_nonce=F("token_nonce") + 1
        )
        ConsentEvent.objects.bulk_create(
            ConsentEvent(
                subscription_id=pk,
                kind=ConsentEvent.Kind.UNSUBSCRIBED,
                at=now,
                ip=ip,
                user_agent=user_agent[:500],
                note=note[:200],
                edition_id=edition_id,
            )
            for pk in ending
        )
    return len(ending)


PREFERENCES_SOURCE = "preferences page"
PREFERENCES_COMEBACK = timedelta(days=30)  # how long after leaving a confirmed address may return with no new opt-in


@dataclass(frozen=True)
class NewsletterChoice:
    """One newsletter on a reader's preferences page, and where the reader stands with it."""

    newsletter: Newsletter
    status: str | None  # the subscription's status, None if there never was one

    @property
    def is_wanted(self) -> bool:
        return self.status in {Subscription.Status.ACTIVE, Subscription.Status.PENDING}

    @property
    def state(self) -> str:
        return {
            Subscription.Status.ACTIVE: "Subscribed",
            Subscription.Status.PENDING: "Awaiting your confirmation",
        }.get(self.status, "Not subscribed")


@dataclass(frozen=True)
class PreferencesChange:
    subscribed: list[Newsletter] = field(default_factory=list)  # active at once: the address is confirmed
    awaiting: list[Newsletter] = field(default_factory=list)  # a confirmation email is on its way
    ended: list[Newsletter] = field(default_factory=list)
    refused: list[Newsletter] = field(default_factory=list)  # the address is suppressed: nothing is sent to it
    paused: list[Newsletter] = field(default_factory=list)  # the hourly cap of confirmation emails is reached


def subscriber_for_link(*, token: str) -> Subscriber:
    """The subscriber whose email carried this link token (an unsubscribe token), for the preferences page."""
    pk = read_unsubscribe_token(token)
    subscriber = Subscriber.objects.filter(subscriptions__pk=pk).first()
    if subscriber is None:
        raise LinkNoLongerValid  # the subscription, or the whole address, was erased
    return subscriber


def preferences_read(*, subscriber: Subscriber) -> list[NewsletterChoice]:
    """Every newsletter, with this subscriber's standing on it: two queries, however many there are."""
    statuses = dict(subscriber.subscriptions.values_list("newsletter_id", "status"))
    return [NewsletterChoice(newsletter, statuses.get(newsletter.pk)) for newsletter in Newsletter.objects.all()]


def preferences_update(
    *,
    subscriber: Subscriber,
    wanted_newsletters,
    ip: str | None = None,
    user_agent: str = "",
    note: str = PREFERENCES_SOURCE,
    edition_id: int | None = None,
) -> PreferencesChange:
    """The reader's choices from their preferences page, applied at once. Newsletters not wanted end; a
    wanted one starts at once if the address is already confirmed (the reader has proved it is theirs), and
    otherwise through the double opt-in, as a sign-up does."""
    wanted = {newsletter.pk: newsletter for newsletter in wanted_newsletters}
    change = PreferencesChange()
    with transaction.atomic():
        current = {
            s.newsletter_id: s
            for s in subscriber.subscriptions.select_for_update(of=("self",)).select_related("newsletter")
        }
        # Confirmed: a subscription is active now, or a confirmed one ended lately (a reader undoing a click).
        # An address whose subscriptions all ended long ago (its old emails perhaps forwarded since) confirms
        # again, as a new one does.
        recently = timezone.now() - PREFERENCES_COMEBACK
        is_confirmed = any(
            s.status == Subscription.Status.ACTIVE
            or (s.confirmed_at and s.unsubscribed_at and s.unsubscribed_at >= recently)
            for s in current.values()
        )
        ending = [
            s
            for s in current.values()
            if s.newsletter_id not in wanted and s.status != Subscription.Status.UNSUBSCRIBED
        ]
        if ending:
            # Reached from an edition's email (`edition_id`): the subscription that edition went to is counted
            # as unsubscribed from it, in its report, as the edition's unsubscribe link would be.
            from_edition = set(
                Delivery.objects.filter(
                    edition_id=edition_id, subscription__in=[s.pk for s in ending], status=Delivery.Status.SENT
                ).values_list("subscription_id", flat=True)
                if edition_id is not None
                else []
            )
            for attributed, pks in ((edition_id, from_edition), (None, {s.pk for s in ending} - from_edition)):
                if pks:
                    subscriptions_unsubscribe(
                        subscriptions=Subscription.objects.filter(pk__in=pks),
                        ip=ip,
                        user_agent=user_agent,
                        note=note,
                        edition_id=attributed,
                    )
            change.ended.extend(s.newsletter for s in ending)
        starting = [
            newsletter
            for pk, newsletter in wanted.items()
            if pk not in current or current[pk].status == Subscription.Status.UNSUBSCRIBED
        ]
        if starting and is_suppressed(subscriber.email):
            change.refused.extend(starting)
            starting = []
        for newsletter in starting:
            if is_confirmed:
                subscription_start_confirmed(subscriber=subscriber, newsletter=newsletter, ip=ip, user_agent=user_agent)
                change.subscribed.append(newsletter)
            else:
                try:
                    subscription_request(
                        email=subscriber.email,
                        newsletter=newsletter,
                        source=PREFERENCES_SOURCE,
                        ip=ip,
                        user_agent=user_agent,
                    )
                except ConfirmationsPaused:
                    change.paused.append(newsletter)
                else:
                    change.awaiting.append(newsletter)
    return change


def subscription_start_confirmed(
    *, subscriber: Subscriber, newsletter: Newsletter, ip: str | None = None, user_agent: str = ""
) -> Subscription:
    """Subscribe an address already confirmed to one more newsletter, with no second opt-in, recorded with
    the consent wording shown on the preferences page."""
    now = timezone.now()
    with transaction.atomic():
        subscription, created = Subscription.objects.get_or_create(
            subscriber=subscriber, newsletter=newsletter, defaults={"subscribed_at": now}
        )
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.status == Subscription.Status.ACTIVE:
            return subscription
        if not created:
            subscription.token_nonce += 1  # a new cycle: confirmation links from before it stop working
        subscription.status = Subscription.Status.ACTIVE
        subscription.subscribed_at = subscription.confirmed_at = now
        subscription.unsubscribed_at = None
        subscription.source = PREFERENCES_SOURCE
        subscription.consent_text = consent_text()
        subscription.consent_version = CONSENT_VERSION
        subscription.signup_ip = subscription.confirm_ip = ip
        subscription.signup_user_agent = subscription.confirm_user_agent = user_agent[:500]
        subscription.save()
        ConsentEvent.objects.create(
            subscription=subscription,
            kind=ConsentEvent.Kind.SUBSCRIBED,
            at=now,
            source=PREFERENCES_SOURCE,
            consent_text=subscription.consent_text,
            consent_version=CONSENT_VERSION,
            ip=ip,
            user_agent=subscription.signup_user_agent,
        )
    return subscription


def subscribers_erase(*, subscribers, user=None) -> int:
    """A reader's erasure request: their address, subscriptions, history and every admin-log mention, gone.
    Only a keyed hash of the address stays, on the suppression list, so an old export re-imported or an
    admin cannot add it back (the reader's own confirmed sign-up can). The audit record says how many were
    erased, and by whom; never whose."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    with transaction.atomic():
        emails = list(subscribers.values_list("email", flat=True))
        suppressions_forget(emails)
        subscriber_ids = [str(pk) for pk in subscribers.values_list("pk", flat=True)]
        subscriber_type = ContentType.objects.get_for_model(Subscriber)
        mentions = Q(content_type=subscriber_type, object_id__in=subscriber_ids)
        for email in emails:
            mentions |= Q(object_repr__icontains=email) | Q(change_message__icontains=email)
        LogEntry.objects.filter(mentions).update(object_repr="(erased)", change_message="")
        count, deleted = Subscriber.objects.filter(pk__in=subscriber_ids).delete()
        if erased := deleted.get(Subscriber._meta.label, 0):
            detail = f"{erased:,} subscriber{pluralize(erased)} erased"
            audit.record(audit.Action.SUBSCRIBER_ERASURE, actor=user, detail=detail)
    return count


def subscriber_message(
    *, subscription: Subscription, subject: str, template: str, context: dict
) -> EmailMultiAlternatives:
    """A message to a subscriber: plain text and HTML, with unsubscribe and preferences links (one signed
    token for both) and RFC 8058 headers."""
    token = subscription.link_token()
    unsubscribe_url = absolute_url(reverse("newsletter:unsubscribe", kwargs={"token": token}))
    context = {
        "subscription": subscription,
        "newsletter": subscription.newsletter,
        "site_name": settings.SITE_NAME,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": absolute_url(reverse("newsletter:preferences", kwargs={"token": token})),
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
    message.metadata = {"subscription": str(subscription.pk)}  # an email provider's webhooks name it by this
    return message


def confirmation_send(*, subscription_id: int) -> bool:
    """Mail the confirmation link the reader last asked for, once: of two workers given the same request, one
    sends. A mail server that refuses or is down raises, and the task tries again later."""
    owed = Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=F("confirmation_requested_at"))
    pending = Subscription.objects.filter(
        owed, pk=subscription_id, status=Subscription.Status.PENDING, confirmation_requested_at__isnull=False
    )
    subscription = pending.select_related("subscriber", "newsletter").first()
    if subscription is None:
        return False  # confirmed, unsubscribed, erased or already mailed meanwhile
    if is_suppressed(subscription.subscriber.email, signup=True):
        return False  # suppressed since the sign-up: nothing goes to that address again
    now = timezone.now()
    if not pending.update(confirmation_sent_at=now, confirmation_attempted_at=now):
        return False  # another worker took it
    message = subscriber_message(
        subscription=subscription,
        subject=one_line(f"Confirm your subscription to {subscription.newsletter.name}"),
        template="confirm",
        context={"confirm_url": subscription.confirm_url()},
    )
    try:
        message.send()
    except Exception:
        logger.warning("Could not send the confirmation email for subscription %s; trying again later", subscription.pk)
        Subscription.objects.filter(pk=subscription.pk, confirmation_sent_at=now).update(
            confirmation_sent_at=subscription.confirmation_sent_at
        )
        raise
    return True


CONFIRMATION_SWEEP_AFTER = timedelta(hours=1)
CONFIRMATION_LINK_DAYS = 7


def confirmations_unsent(*, now) -> list[int]:
    """Sign-ups whose confirmation was asked for but never sent, with no worker trying for an hour: the process
    that should have queued it died, or the broker was down. Marked as tried, so each is queued once an hour."""
    quiet = now - CONFIRMATION_SWEEP_AFTER
    owed = (
        Subscription.objects.filter(
            status=Subscription.Status.PENDING,
            confirmation_requested_at__gt=now - timedelta(days=CONFIRMATION_LINK_DAYS),
            confirmation_requested_at__lt=quiet,
        )
        .filter(Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=F("confirmation_requested_at")))
        .filter(Q(confirmation_attempted_at__isnull=True) | Q(confirmation_attempted_at__lt=quiet))
    )
    ids = list(owed.values_list("pk", flat=True)[:1000])
    Subscription.objects.filter(pk__in=ids).update(confirmation_attempted_at=now)
    return ids
