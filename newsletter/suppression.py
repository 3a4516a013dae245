"""The suppression list: addresses that are never sent anything again.

An address is suppressed when its mail bounces for good, bounces softly again and again, is marked as
spam, is unsubscribed at the provider, is added by staff, or is erased on request. Every path that could
mail an address or add it back (sending an edition, a confirmation email, sign-up, import, the admin)
asks `is_suppressed`. An erasure keeps only a keyed hash of the address (`address_hash`), so an old
export re-imported cannot bring a forgotten reader back, and a complaint is honoured for good.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import DeliveryEvent, Subscription, Suppression, clean_address, normalise_email

# RFC 3463's enhanced status codes: 5.1.x says the address is wrong (no such user, no such domain), 5.2.1
# that the mailbox is disabled. Others (5.7.x policy or spam blocks, 5.3.x/5.6.x the message) refuse the
# message or the sender, not the address: a blocked sender must not wipe out its own list. 5.2.x (a full
# mailbox) may clear: a soft bounce.
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_BASIC = re.compile(r"\b([245])\d\d\b")
MAILBOX_CODES = {550, 551, 553}  # without an enhanced code: mailbox unavailable, not local, name not allowed


def smtp_refusal_kind(text: str, code: int | None = None) -> str | None:
    """What a mail server's refusal says of the address: "hard" (it is wrong), "soft" (try later), "block"
    (the sender or the message is refused), or None if the text holds no SMTP code."""
    enhanced = _ENHANCED.search(text or "")
    if enhanced:
        klass, subject, detail = (int(group) for group in enhanced.groups())
        if klass == 4:
            return "soft"
        if subject == 1 or (subject, detail) == (2, 1):
            return "hard"
        return "soft" if subject == 2 else "block"  # a full mailbox may empty; the rest refuse sender or message
    if code is None:
        basic = _BASIC.search(text or "")
        code = int(basic.group(0)) if basic else None
    if code is None or code < 400:
        return None
    if code < 500:
        return "soft"
    return "hard" if code in MAILBOX_CODES else "block"


# Reasons that a reader's own confirmed sign-up lifts: erasure is the reader's wish, not the mail's verdict.
LIFTED_BY_CONFIRMED_SIGNUP = {Suppression.Reason.ERASED}
# Reasons only the system gives: an erasure's entry comes from erasing the subscriber (`suppressions_forget`),
# never from staff, who could not lift it again.
SYSTEM_REASONS = {Suppression.Reason.ERASED}
STAFF_REASONS = [(value, label) for value, label in Suppression.Reason.choices if value not in SYSTEM_REASONS]


def address_hash(email: str) -> str:
    """HMAC-SHA256 of the normalised address under NEWSLETTER_SUPPRESSION_KEY: the same address always gives
    the same value, and without the key nobody can test guesses against a copy of the table."""
    key = settings.NEWSLETTER_SUPPRESSION_KEY.encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def suppression_for(email: str) -> Suppression | None:
    return Suppression.objects.active().filter(address_hash=address_hash(email)).first()


def is_suppressed(email: str, *, signup: bool = False) -> bool:
    """Whether nothing may be sent to this address. For a reader's own sign-up (`signup`), an erasure's
    suppression does not count: the double opt-in is the reader asking again."""
    suppression = suppression_for(email)
    if suppression is None:
        return False
    return not (signup and suppression.reason in LIFTED_BY_CONFIRMED_SIGNUP)


def suppressed_hashes(emails) -> set[str]:
    """Of these addresses' hashes, the ones suppressed (for import: one query per thousand addresses)."""
    return _active_among({address_hash(email) for email in emails})


def _active_among(hashes) -> set[str]:
    """Which of these hashes are on the list now, a thousand to a query."""
    found: set[str] = set()
    ordered = sorted(hashes)
    for start in range(0, len(ordered), 1000):
        found.update(
            Suppression.objects.active()
            .filter(address_hash__in=ordered[start : start + 1000])
            .values_list("address_hash", flat=True)
        )
    return found


def suppress(
    email: str, *, reason: str, event=None, user=None, note: str = "", end_subscriptions: bool = True
) -> tuple[Suppression, bool]:
    """Suppress an address (once: an address already suppressed keeps its first reason) and end its
    subscriptions. Returns the suppression and whether it is new. Only an address is put on the list (its bare
    form, "Jane <jane@example.org>" gives "jane@example.org"): anything else is a ValidationError. An erasure
    is not made here (see `suppressions_forget`): its reason is a ValueError."""
    from .services import subscriptions_unsubscribe

    if reason in SYSTEM_REASONS:
        raise ValueError("An erasure's entry is made by erasing the subscriber, not by suppressing the address.")
    email = clean_address(email)
    digest = address_hash(email)
    with transaction.atomic():
        suppression = Suppression.objects.active().filter(address_hash=digest).first()
        created = False
        if (
            suppression is not None
            and suppression.reason in LIFTED_BY_CONFIRMED_SIGNUP
            and reason not in (LIFTED_BY_CONFIRMED_SIGNUP)
        ):
            # An erased reader who came back, then bounced or complained: that verdict is not lifted by signing
            # up again, so it replaces the erasure's entry.
            suppressions_remove(
                suppressions=Suppression.objects.filter(pk=suppression.pk),
                reason=f"Superseded: {Suppression.Reason(reason).label}",
            )
            suppression = None
        if suppression is None:
            try:
                with transaction.atomic():
                    suppression = Suppression.objects.create(
                        email=email,
                        address_hash=digest,
                        reason=reason,
                        source_event=event,
                        added_by=user,
                        note=note[:500],
                    )
                    created = True
            except IntegrityError:  # suppressed by another request meanwhile
                suppression = Suppression.objects.active().get(address_hash=digest)
        if end_subscriptions:
            subscriptions_unsubscribe(
                subscriptions=Subscription.objects.filter(subscriber__email=email),
                note=f"Suppressed: {Suppression.Reason(suppression.reason).label}"[:200],
            )
    return suppression, created


def suppress_many(reasons: dict[str, str], *, note: str = "", user=None) -> int:
    """Suppress many addresses at once ({address: reason}, e.g. an import's bounced and complained rows),
    ending their subscriptions; addresses already suppressed keep their entry. Returns how many are new.
    As `suppress`, a ValidationError (and nothing suppressed) if one of them is not an address."""
    from .services import subscriptions_unsubscribe

    cleaned = {clean_address(email): reason for email, reason in reasons.items()}
    by_hash = {address_hash(email): (email, reason) for email, reason in cleaned.items()}
    with transaction.atomic():
        present = _active_among(by_hash)
        Suppression.objects.bulk_create(
            [
                Suppression(email=email, address_hash=digest, reason=reason, added_by=user, note=note[:500])
                for digest, (email, reason) in by_hash.items()
                if digest not in present
            ],
            batch_size=1000,
        )
        emails = [email for email, _ in by_hash.values()]
        for start in range(0, len(emails), 1000):
            subscriptions_unsubscribe(
                subscriptions=Subscription.objects.filter(subscriber__email__in=emails[start : start + 1000]),
                note="Suppressed on import",
            )
    return len(by_hash) - len(present)


def unsuppress(emails, *, user=None, reason: str, reasons=None) -> int:
    """Lift the suppression of these addresses (only those suppressed for one of `reasons`, if given),
    keeping the record of it and of who lifted it and why."""
    lifted = Suppression.objects.filter(address_hash__in=[address_hash(email) for email in emails])
    if reasons is not None:
        lifted = lifted.filter(reason__in=reasons)
    return suppressions_remove(suppressions=lifted, user=user, reason=reason)


def suppressions_remove(*, suppressions, user=None, reason: str) -> int:
    """Take these entries off the list (those still on it), recording who did and why; nothing is deleted."""
    return suppressions.filter(removed_at=None).update(
        removed_at=timezone.now(), removed_by=user, removal_reason=reason[:500]
    )


def suppressions_forget(emails) -> None:
    """For an erasure: these addresses stay suppressed by their keyed hash alone; every clear copy in the
    suppression list and the provider's events is blanked. An address not suppressed yet is suppressed as
    erased, so an old export re-imported does not bring the reader back."""
    emails = [normalise_email(email) for email in emails]
    hashes = {address_hash(email) for email in emails}
    present = _active_among(hashes)
    Suppression.objects.bulk_create(
        [
            Suppression(email="", address_hash=digest, reason=Suppression.Reason.ERASED, note="Erased on request")
            for digest in sorted(hashes - present)
        ]
    )
    # The notes too: a mail server's refusal or a colleague's words may repeat the address.
    Suppression.objects.filter(address_hash__in=hashes).update(email="", note="", removal_reason="")
    DeliveryEvent.objects.filter(recipient__in=emails).update(recipient="", description="")
