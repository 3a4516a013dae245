"""Each edition's report and each newsletter's gains and losses, counted in the database."""

import datetime

import pytest
from django.utils import timezone

from newsletter import sending
from newsletter.models import ConsentEvent, Delivery, DeliveryEvent, Edition, Newsletter
from newsletter.reports import edition_report, newsletter_daily
from newsletter.services import subscriptions_unsubscribe
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

# The edition's page: session, user, whether the account has a second factor, permissions (2), the edition
# (2: the admin's object and the form's) and its newsletter (2), the report's three aggregates (deliveries,
# provider events, unsubscribes from its links), the stories inline and their articles (2), the failures with
# their subscribers: 15, whatever the audience's size.
REPORT_PAGE_QUERIES = 15


@pytest.fixture(autouse=True)
def _no_senders(monkeypatch):
    monkeypatch.setattr(sending, "senders_enqueue", lambda *args, **kwargs: None)


def reported_edition(recipients: int) -> Edition:
    """An edition sent to `recipients`, with a bit of every outcome (each a fixed share of the audience)."""
    SubscriptionFactory.create_batch(recipients)
    edition = EditionFactory(articles=[ArticleFactory()])
    sending.edition_start(edition)
    deliveries = list(Delivery.objects.filter(edition=edition).select_related("subscription__subscriber"))
    Delivery.objects.filter(edition=edition).update(status="sent", sent_at=timezone.now())
    Delivery.objects.filter(pk=deliveries[0].pk).update(status="failed", error="550 5.1.1 No such user")
    Delivery.objects.filter(pk=deliveries[1].pk).update(status="skipped")
    events = []
    for n, delivery in enumerate(deliveries[2:]):
        kinds = ["delivered"] + (["bounced"] if n % 5 == 0 else []) + (["deferred", "deferred"] if n % 5 == 1 else [])
        kinds += ["complained"] if n % 10 == 2 else []
        kinds += ["unsubscribed"] if n % 10 == 3 else []
        events += [
            DeliveryEvent(
                provider="postmark",
                event_id=f"{delivery.pk}-{position}",
                type=kind,
                occurred_at=timezone.now(),
                recipient=delivery.subscription.subscriber.email,
                delivery=delivery,
                edition=edition,
            )
            for position, kind in enumerate(kinds)
        ]
    DeliveryEvent.objects.bulk_create(events)
    for delivery in deliveries[2::7]:
        subscriptions_unsubscribe(subscriptions=type(delivery.subscription).objects.filter(pk=delivery.subscription_id))
        ConsentEvent.objects.filter(subscription_id=delivery.subscription_id).update(edition=edition)
    edition.refresh_from_db()
    return edition


def test_the_report_counts_each_outcome_once_per_message():
    edition = reported_edition(22)  # 20 accepted beyond the failed and the skipped one

    report = edition_report(edition)

    assert (report.recipients, report.accepted, report.failed, report.skipped) == (22, 20, 1, 1)
    assert report.delivered == 20
    assert (report.hard_bounced, report.soft_bounced) == (4, 4)  # two soft bounces of one message count once
    assert report.complained == 2
    assert (report.unsubscribed_by_link, report.unsubscribed_at_provider, report.unsubscribed) == (3, 2, 5)
    assert report.complaint_rate == pytest.approx(2 * 100 / 22)
    assert report.complaint_level == "pause"


@pytest.mark.parametrize("recipients", [22, 132])
def test_the_edition_page_shows_the_report_in_the_same_queries_whatever_the_audience(
    client, login_as, django_assert_num_queries, recipients
):
    edition = reported_edition(recipients)
    login_as("Audience")

    with django_assert_num_queries(REPORT_PAGE_QUERIES) as captured:
        response = client.get(f"/admin/newsletter/edition/{edition.pk}/change/")

    page = response.content.decode()
    assert "Hard bounces" in page and "Complaints" in page and "550 5.1.1 No such user" in page
    from_events = [query for query in captured.captured_queries if 'FROM "newsletter_deliveryevent"' in query["sql"]]
    assert len(from_events) == 1  # the provider's events: one aggregate


def test_a_warning_shows_from_the_warning_level(client, login_as, settings):
    settings.NEWSLETTER_COMPLAINT_WARNING, settings.NEWSLETTER_COMPLAINT_PAUSE = 0.1, 50.0
    edition = reported_edition(22)
    login_as("Editor")

    page = client.get(f"/admin/newsletter/edition/{edition.pk}/change/").content.decode()

    assert "Warning: complaints have reached 0.1% of the recipients" in page


def test_the_newsletter_page_shows_subscribers_gained_and_lost_per_day(client, login_as):
    the_daily = Newsletter.objects.get(slug="the-daily")
    today = timezone.now()
    for _ in range(3):
        subscription = SubscriptionFactory(newsletter=the_daily)
        ConsentEvent.objects.create(subscription=subscription, kind="confirmed", at=today)
    gone = SubscriptionFactory(newsletter=the_daily)
    ConsentEvent.objects.create(subscription=gone, kind="confirmed", at=today - datetime.timedelta(days=2))
    subscriptions_unsubscribe(subscriptions=type(gone).objects.filter(pk=gone.pk))
    old = SubscriptionFactory(newsletter=the_daily)
    ConsentEvent.objects.create(subscription=old, kind="confirmed", at=today - datetime.timedelta(days=40))

    rows = newsletter_daily(the_daily)

    assert [(row["gained"], row["lost"], row["net"]) for row in rows] == [(3, 1, 2), (1, 0, 1)]
    login_as("Editor")
    page = client.get(f"/admin/newsletter/newsletter/{the_daily.pk}/change/").content.decode()
    assert "Subscribers gained and lost, last 30 days" in page and "<td>+2</td>" in page
