"""What became of an edition, and how a newsletter's list grows and shrinks: counted in the database,
a fixed number of queries whatever the audience's size."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import ConsentEvent, Delivery, DeliveryEvent, Edition, Newsletter


@dataclass(frozen=True)
class EditionReport:
    recipients: int
    accepted: int
    failed: int
    skipped: int
    delivered: int
    hard_bounced: int
    soft_bounced: int
    complained: int
    unsubscribed_by_link: int
    unsubscribed_at_provider: int

    @property
    def unsubscribed(self) -> int:
        return self.unsubscribed_by_link + self.unsubscribed_at_provider

    @property
    def complaint_rate(self) -> float:
        """Complaints as a percentage of the recipients."""
        return self.complained * 100 / self.recipients if self.recipients else 0.0

    @property
    def complaint_level(self) -> str:
        """'' under the warning level, 'warning' from NEWSLETTER_COMPLAINT_WARNING, 'pause' past the pause level."""
        if self.complaint_rate > settings.NEWSLETTER_COMPLAINT_PAUSE:
            return "pause"
        if self.complained and self.complaint_rate >= settings.NEWSLETTER_COMPLAINT_WARNING:
            return "warning"
        return ""


def edition_report(edition: Edition) -> EditionReport:
    """Three queries: the deliveries' outcomes, the provider's events, the unsubscribes from its links."""
    deliveries = Delivery.objects.filter(edition=edition).aggregate(
        accepted=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        skipped=Count("pk", filter=Q(status=Delivery.Status.SKIPPED)),
    )
    kinds = DeliveryEvent.Type
    # Each message counts once per outcome, however often the provider reported it.
    events = DeliveryEvent.objects.filter(edition=edition).aggregate(
        **{
            name: Count("delivery", distinct=True, filter=Q(type=kind))
            for name, kind in (
                ("delivered", kinds.DELIVERED),
                ("hard_bounced", kinds.BOUNCED),
                ("soft_bounced", kinds.DEFERRED),
                ("complained", kinds.COMPLAINED),
                ("unsubscribed_at_provider", kinds.UNSUBSCRIBED),
            )
        }
    )
    unsubscribed_by_link = (
        ConsentEvent.objects.filter(edition=edition, kind=ConsentEvent.Kind.UNSUBSCRIBED)
        .values("subscription")
        .distinct()
        .count()
    )
    return EditionReport(
        recipients=edition.recipient_count,
        unsubscribed_by_link=unsubscribed_by_link,
        **deliveries,
        **events,
    )


GAINED = [ConsentEvent.Kind.CONFIRMED, ConsentEvent.Kind.SUBSCRIBED]


def newsletter_daily(newsletter: Newsletter, *, days: int = 30) -> list[dict]:
    """Subscribers gained and lost per day over the last `days` days, newest first (days with neither are
    left out). One query. Gained: confirmed sign-ups, preference-page subscriptions and imported
    subscribers who were subscribed when imported; lost: every unsubscribe, whatever its path."""
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=timezone.get_current_timezone())
    imported_subscribed = Q(kind=ConsentEvent.Kind.IMPORTED) & (
        Q(subscription__unsubscribed_at=None) | Q(subscription__unsubscribed_at__gt=F("at"))
    )
    rows = (
        ConsentEvent.objects.filter(subscription__newsletter=newsletter, at__gte=start)
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            gained=Count("pk", filter=Q(kind__in=GAINED) | imported_subscribed),
            lost=Count("pk", filter=Q(kind=ConsentEvent.Kind.UNSUBSCRIBED)),
        )
        .order_by("-day")
    )
    return [{**row, "net": row["gained"] - row["lost"]} for row in rows if row["gained"] or row["lost"]]
