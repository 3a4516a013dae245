"""The consent history as CSV, for staff who may export subscribers: every event of every subscription, all
cycles, streamed, formula-safe, recorded, and read in the same few queries however long it is."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsletter.models import ConsentEvent, Delivery, SubscriberExport
from tests.factories import EditionFactory, NewsletterFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

CONSENT_EXPORT_URL = "/admin/newsletter/subscription/export-consent/"
HEADER = [
    "email",
    "newsletter",
    "kind",
    "at",
    "source",
    "consent_version",
    "consent_text",
    "ip",
    "user_agent",
    "note",
    "edition_id",
    "edition_date",
]


def read_csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def history(count: int = 1, *, prefix: str = "h"):
    """`count` readers, each with a request, a confirmation and an unsubscribe from an edition, and a second
    cycle begun."""
    edition = EditionFactory(issue_date=timezone.localdate() - datetime.timedelta(days=count))
    at = timezone.now()
    for i in range(count):
        subscription = SubscriptionFactory(subscriber__email=f"{prefix}{i}@example.com", status="pending")
        Delivery.objects.create(edition=edition, subscription=subscription, status="sent")
        for kind, extra in [
            ("requested", {"source": "/articles/x/", "consent_text": "Send me this", "consent_version": "v1"}),
            ("confirmed", {"ip": "192.0.2.1", "user_agent": "Phone"}),
            ("unsubscribed", {"note": "unsubscribe link", "edition": edition, "ip": "2001:db8::1"}),
            ("requested", {"source": "/newsletter/", "consent_text": "Send me this", "consent_version": "v2"}),
        ]:
            ConsentEvent.objects.create(subscription=subscription, kind=kind, at=at, **extra)
    return edition


def test_audience_export_every_event_of_every_cycle(client, login_as):
    user = login_as("Audience")
    edition = history(1)

    response = client.get(CONSENT_EXPORT_URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and "consent-history" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    assert [(r["email"], r["newsletter"], r["kind"]) for r in rows] == [
        ("h0@example.com", "the-daily", "requested"),
        ("h0@example.com", "the-daily", "confirmed"),
        ("h0@example.com", "the-daily", "unsubscribed"),
        ("h0@example.com", "the-daily", "requested"),
    ]
    first, confirmed, unsubscribed, again = rows
    assert (first["source"], first["consent_text"], first["consent_version"]) == ("/articles/x/", "Send me this", "v1")
    assert (confirmed["ip"], confirmed["user_agent"]) == ("192.0.2.1", "Phone")
    assert (unsubscribed["note"], unsubscribed["ip"]) == ("unsubscribe link", "2001:db8::1")
    assert (unsubscribed["edition_id"], unsubscribed["edition_date"]) == (
        str(edition.pk),
        edition.issue_date.isoformat(),
    )
    assert first["edition_id"] == "" and again["consent_version"] == "v2"
    assert first["at"].endswith("+00:00")
    record = SubscriberExport.objects.get()
    assert (record.user, record.via, record.row_count) == (user, "admin", 4)
    assert "consent history" in record.filters


def test_cells_that_would_be_formulas_are_exported_as_text(client, login_as):
    login_as("Audience")
    subscription = SubscriptionFactory(subscriber__email="=cmd()@example.com")
    ConsentEvent.objects.create(
        subscription=subscription,
        kind="requested",
        at=timezone.now(),
        source="=cmd()",
        user_agent="+SUM(A1)",
        note="@now",
        consent_text="-1",
    )

    [row] = read_csv(client.get(CONSENT_EXPORT_URL))

    assert row["email"] == "'=cmd()@example.com"
    assert (row["source"], row["user_agent"], row["note"], row["consent_text"]) == (
        "'=cmd()",
        "'+SUM(A1)",
        "'@now",
        "'-1",
    )


def test_the_subscriptions_list_links_to_it_for_those_who_may_export(client, login_as):
    login_as("Audience")

    page = client.get("/admin/newsletter/subscription/").content.decode()

    assert f'href="{CONSENT_EXPORT_URL}"' in page


@pytest.mark.parametrize("group", ["Journalist", "Editor"])
def test_staff_without_the_export_permission_get_403(client, login_as, group):
    login_as(group)
    history(1)

    assert client.get(CONSENT_EXPORT_URL).status_code == 403
    assert not SubscriberExport.objects.exists()


def test_staff_who_may_see_subscriptions_but_not_export_get_no_link_and_a_403(client):
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_subscription"))
    client.force_login(user)
    history(1)

    page = client.get("/admin/newsletter/subscription/")
    assert page.status_code == 200 and CONSENT_EXPORT_URL not in page.content.decode()
    assert client.get(CONSENT_EXPORT_URL).status_code == 403
    assert not SubscriberExport.objects.exists()


def test_readers_who_are_not_staff_are_sent_to_the_login(client):
    response = client.get(CONSENT_EXPORT_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_query_count_does_not_grow_with_the_rows(client, login_as):
    login_as("Audience")
    counts = []
    for size in (1, 6):
        ConsentEvent.objects.all().delete()
        NewsletterFactory()  # more newsletters and editions change nothing either
        history(size, prefix=f"size{size}-")
        with CaptureQueriesContext(connection) as queries:
            rows = read_csv(client.get(CONSENT_EXPORT_URL))
        assert len(rows) == 4 * size
        counts.append(len(queries))
    assert counts[0] == counts[1]
