import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.utils import timezone

from newsletter import export
from newsletter.models import Newsletter, Subscriber, SubscriberExport, Subscription
from tests.factories import NewsletterFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = "/admin/newsletter/subscription/export/"
HEADER = ["email", "newsletter", "status", "subscribed_at", "confirmed_at", "unsubscribed_at", "source"]


def read_csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def lists():
    weekend = NewsletterFactory(name="Weekend", slug="weekend")
    SubscriptionFactory(subscriber__email="ann@example.com")
    SubscriptionFactory(subscriber__email="bob@example.com", status="pending", confirmed_at=None)
    SubscriptionFactory(subscriber__email="cat@example.com", status="unsubscribed", unsubscribed_at=timezone.now())
    SubscriptionFactory(subscriber__email="dan@example.com", newsletter=weekend)
    return weekend


def test_audience_exports_everything_matching_the_filters_not_just_a_page(client, login_as, lists, settings):
    user = login_as("Audience")

    response = client.get(EXPORT_URL, {"status__exact": "active", "newsletter__id__exact": lists.pk})

    rows = read_csv(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert list(rows[0])[:7] == HEADER
    assert [(r["email"], r["newsletter"], r["status"]) for r in rows] == [("dan@example.com", "weekend", "active")]
    record = SubscriberExport.objects.get()
    assert (record.user, record.via, record.row_count) == (user, "admin", 1)
    assert "status__exact=active" in record.filters


def test_export_follows_the_search_box_and_runs_past_one_page(client, login_as, lists):
    login_as("Audience")
    for i in range(120):
        SubscriptionFactory(subscriber__email=f"bulk{i}@example.com")

    everything = read_csv(client.get(EXPORT_URL))
    searched = read_csv(client.get(EXPORT_URL, {"q": "bob@"}))

    assert len(everything) == 124
    assert [r["email"] for r in searched] == ["bob@example.com"]


def test_export_of_selected_rows_from_the_change_list(client, login_as, lists):
    login_as("Audience")
    chosen = Subscription.objects.filter(subscriber__email__in=["ann@example.com", "cat@example.com"])

    response = client.post(
        "/admin/newsletter/subscription/",
        {"action": "export_selected", "_selected_action": [s.pk for s in chosen]},
    )

    assert sorted(r["email"] for r in read_csv(response)) == ["ann@example.com", "cat@example.com"]
    assert SubscriberExport.objects.get().row_count == 2


def test_export_includes_the_consent_ledger(client, login_as):
    login_as("Audience")
    SubscriptionFactory(
        subscriber__email="ledger@example.com",
        consent_version="2026-11-25",
        consent_text="Send me this newsletter",
        signup_ip="203.0.113.9",
        confirm_ip="203.0.113.10",
        confirm_user_agent="Phone",
    )

    [row] = read_csv(client.get(EXPORT_URL))

    assert row["consent_version"] == "2026-11-25"
    assert row["signup_ip"] == "203.0.113.9" and row["confirm_user_agent"] == "Phone"


@pytest.mark.parametrize("dangerous", ["=1+1@example.com", "+44@example.com", "-x@example.com", "@at@example.com"])
def test_cells_that_would_be_formulas_are_exported_as_text(client, login_as, dangerous):
    login_as("Audience")
    SubscriptionFactory(subscriber__email=dangerous, source='=HYPERLINK("http://evil")')

    [row] = read_csv(client.get(EXPORT_URL))

    assert row["email"] == "'" + dangerous
    assert row["source"].startswith("'=")


def test_tab_and_carriage_return_starts_are_neutralised():
    assert export.neutralise("\tcmd") == "'\tcmd"
    assert export.neutralise("\r=1") == "'\r=1"
    assert export.neutralise("plain@example.com") == "plain@example.com"


def test_export_streams_and_reads_the_database_in_chunks(client, login_as, lists, monkeypatch):
    from django.db import connection
    from django.db.models.query import QuerySet

    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL exports with COPY: see the next test")

    login_as("Audience")
    chunk_sizes = []
    real_iterator = QuerySet.iterator

    def spy(self, chunk_size=None):
        chunk_sizes.append(chunk_size)
        return real_iterator(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)

    response = client.get(EXPORT_URL)
    assert chunk_sizes == []  # nothing is read until the download is streamed
    rows = read_csv(response)

    assert len(rows) == 4
    assert chunk_sizes == [export.CHUNK_SIZE]


def test_a_large_export_streams_in_pieces_of_bounded_size(client, login_as, monkeypatch):
    """However many rows, what is held at once is one piece (PostgreSQL: COPY's rows gathered into pieces;
    elsewhere the ORM's chunks of rows)."""
    the_daily = Newsletter.objects.get(slug="the-daily")
    subscribers = Subscriber.objects.bulk_create(Subscriber(email=f"reader{n}@example.org") for n in range(3000))
    Subscription.objects.bulk_create(
        Subscription(subscriber=s, newsletter=the_daily, status="active", subscribed_at=timezone.now())
        for s in subscribers
    )
    monkeypatch.setattr(export, "COPY_PIECE", 8 * 1024)
    login_as("Audience")

    response = client.get(EXPORT_URL)
    pieces = [piece if isinstance(piece, bytes) else piece.encode() for piece in response.streaming_content]

    assert b"".join(pieces).count(b"\n") == 3001
    assert max(len(piece) for piece in pieces) <= 9 * 1024
    assert len(pieces) >= 3000 * 60 // (9 * 1024)  # many pieces, not one buffer


@pytest.mark.parametrize("group", ["Journalist", "Editor"])
def test_staff_without_the_export_permission_get_403(client, login_as, lists, group):
    login_as(group)

    assert client.get(EXPORT_URL).status_code == 403
    assert client.get("/admin/newsletter/subscription/").status_code == 403
    assert not SubscriberExport.objects.exists()


def test_journalists_cannot_see_subscribers_at_all(client, login_as, lists):
    login_as("Journalist")

    assert client.get("/admin/newsletter/subscriber/").status_code == 403
    assert b"Subscribers" not in client.get("/admin/").content


def test_audience_staff_see_only_the_subscriber_lists(client, login_as):
    login_as("Audience")

    index = client.get("/admin/").content.decode()

    assert "Subscriptions" in index and "Subscribers" in index
    assert "Articles" not in index and "Images" not in index
    assert client.get("/admin/articles/article/").status_code == 403


def test_change_list_shows_counts_per_status_for_the_current_filter(client, login_as, lists):
    login_as("Audience")

    html = client.get(
        "/admin/newsletter/subscription/", {"newsletter__id__exact": Newsletter.objects.get(slug="the-daily").pk}
    ).content.decode()

    assert "<strong>1</strong> active" in html
    assert "<strong>1</strong> pending confirmation" in html
    assert "<strong>1</strong> unsubscribed" in html
    assert "Export all 3 matching as CSV" in html


def test_command_writes_csv_to_stdout_with_filters_and_is_recorded(lists):
    out = io.StringIO()

    call_command("export_subscribers", "--newsletter", "the-daily", "--status", "active", stdout=out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["email"] for r in rows] == ["ann@example.com"]
    record = SubscriberExport.objects.get()
    assert (record.via, record.row_count, record.filters) == ("command", 1, "--newsletter the-daily --status active")


def test_command_rejects_an_unknown_newsletter_clearly(lists):
    with pytest.raises(CommandError, match="no newsletter 'nope'.*the-daily"):
        call_command("export_subscribers", "--newsletter", "nope", stdout=io.StringIO())


@pytest.mark.parametrize("query", ["subscribed_at__gte=notadate", "subscriber__password=x"])
def test_bad_filters_on_the_export_link_are_a_400_not_an_error(client, login_as, lists, query):
    login_as("Audience")

    response = client.get(f"{EXPORT_URL}?{query}")

    assert response.status_code == 400
    assert b"not valid" in response.content
    assert not SubscriberExport.objects.exists()


@pytest.mark.parametrize("query", ["status__in=,,", "o=zz"])
def test_odd_but_harmless_filters_still_give_a_csv(client, login_as, lists, query):
    login_as("Audience")

    response = client.get(f"{EXPORT_URL}?{query}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"email,newsletter,status")


def test_command_exports_record_who_ran_them(lists):
    call_command("export_subscribers", stdout=io.StringIO())

    assert "@" in SubscriberExport.objects.get().run_by


def test_postgresqls_copy_writes_exactly_what_the_orm_path_writes():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the COPY export is PostgreSQL's")
    the_daily = Newsletter.objects.get(slug="the-daily")
    at = timezone.now().replace(microsecond=0)
    awkward = [
        ("=HYPERLINK(1)", "-2+3", "\tTab", "@sum"),
        ('Quote " and, comma', "line\nbreak", "", "Zoë ünïcode ✓"),
    ]
    for n, (source, consent, agent, version) in enumerate(awkward):
        SubscriptionFactory(
            subscriber__email=f"reader{n}@example.org",
            newsletter=the_daily,
            status="active",
            subscribed_at=at,
            confirmed_at=at.replace(microsecond=123456),
            source=source,
            consent_text=consent,
            signup_user_agent=agent,
            consent_version=version,
            signup_ip="192.0.2.7",
            confirm_ip="2001:db8::1",
        )
    SubscriptionFactory(subscriber__email="plain@example.org", newsletter=the_daily, subscribed_at=at)
    queryset = Subscription.objects.all()

    by_copy = "".join(export._copy_lines(queryset, None))
    by_orm = "".join(export._orm_lines(queryset, None))

    assert by_copy == by_orm
    assert "'=HYPERLINK(1)" in by_copy and "192.0.2.7" in by_copy and "2001:db8::1" in by_copy
