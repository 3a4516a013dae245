import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from newsletter.imports import subscribers_import
from newsletter.models import Newsletter, Subscriber, Subscription
from tests.factories import NewsletterFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/newsletter/subscription/import/"


@pytest.fixture
def the_daily():
    return Newsletter.objects.get(slug="the-daily")


def csv_file(text: str, name="list.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def run(text: str, newsletter, note="Signed up on our old provider's form"):
    return subscribers_import(file=csv_file(text), newsletter=newsletter, consent_note=note)


def test_our_own_export_columns_import(the_daily):
    weekend = NewsletterFactory(name="Weekend", slug="weekend")
    report = run(
        "email,newsletter,status,subscribed_at,confirmed_at,unsubscribed_at,source\n"
        "ann@example.com,the-daily,active,2024-03-01T09:00:00+00:00,2024-03-01T09:05:00+00:00,,/\n"
        "Bob@Example.com,weekend,active,2025-01-02,,,\n",
        the_daily,
    )

    assert (report.rows, report.created, report.errors) == (2, 2, [])
    ann = Subscription.objects.get(subscriber__email="ann@example.com")
    assert (ann.newsletter, ann.status, ann.source) == (the_daily, "active", "import")
    assert ann.subscribed_at.isoformat() == "2024-03-01T09:00:00+00:00"
    assert ann.consent_text == "Signed up on our old provider's form"
    assert Subscription.objects.get(subscriber__email="bob@example.com").newsletter == weekend


def test_a_file_of_just_addresses_imports_into_the_chosen_newsletter(the_daily):
    report = run("one@example.com\ntwo@example.com\n", the_daily)

    assert report.created == 2
    assert set(Subscription.objects.values_list("status", flat=True)) == {"active"}


def test_another_providers_headers_and_semicolons_are_understood(the_daily):
    report = run(
        "Email Address;First Name;Status\nann@example.com;Ann;subscribed\ncat@example.com;Cat;cleaned\n", the_daily
    )

    assert (report.created, report.newly_suppressed) == (1, 1)  # Mailchimp's "cleaned" bounced: suppressed
    assert Subscription.objects.get().subscriber.email == "ann@example.com"


def test_bad_rows_are_reported_with_line_numbers_and_skip_nothing_else(the_daily):
    report = run(
        "email,newsletter,status,subscribed_at\n"
        "good@example.com,,,\n"
        "not-an-address,,,\n"
        "also.good@example.com,,,\n"
        "x@example.com,no-such-letter,,\n"
        "y@example.com,,maybe,\n"
        "z@example.com,,,yesterday\n"
        ",,,\n",
        the_daily,
    )

    assert report.created == 2
    assert [(e.line, e.value) for e in report.errors] == [
        (3, "not-an-address"),
        (5, "x@example.com"),
        (6, "y@example.com"),
        (7, "z@example.com"),
    ]
    assert "not a valid email address" in report.errors[0].reason
    assert "no newsletter called 'no-such-letter'" in report.errors[1].reason
    assert "unknown status 'maybe'" in report.errors[2].reason
    assert "not a date" in report.errors[3].reason


def test_existing_subscribers_are_not_duplicated_nor_resubscribed(the_daily):
    SubscriptionFactory(subscriber__email="left@example.com", status="unsubscribed", confirmed_at=None)

    report = run("email\nLEFT@example.com\nnew@example.com\nnew@example.com\n", the_daily)

    assert (report.created, report.already_there, report.repeated) == (1, 1, 1)
    assert Subscriber.objects.count() == 2
    assert Subscription.objects.get(subscriber__email="left@example.com").status == "unsubscribed"


def test_our_exports_formula_guard_is_undone_on_import(the_daily):
    run("email\n'=1+1@example.com\n", the_daily)

    assert Subscriber.objects.get().email == "=1+1@example.com"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "empty"), ("name,city\nAnn,Leeds\n", "No email column")],
)
def test_a_file_that_cannot_be_used_says_why_and_imports_nothing(the_daily, text, problem):
    report = run(text, the_daily)

    assert problem in report.problem
    assert not Subscription.objects.exists()


def test_a_hundred_thousand_rows_import_in_one_go(the_daily, django_assert_max_num_queries):
    lines = ["email,newsletter,status"] + [f"reader{i}@example.com,the-daily,active" for i in range(100_000)]

    # Batched: a few thousand queries in all (SQLite caps a batch by its variable limit), never one a row.
    with django_assert_max_num_queries(5000):
        report = run("\n".join(lines), the_daily)

    assert (report.created, report.errors) == (100_000, [])
    assert Subscription.objects.filter(source="import", status="active").count() == 100_000


def test_audience_imports_from_the_admin_and_sees_the_bad_row(client, login_as, the_daily):
    login_as("Audience")
    upload = csv_file("email\nfine@example.com\nbroken-address\n")

    response = client.post(
        IMPORT_URL, {"file": upload, "newsletter": the_daily.pk, "consent_note": "Paper forms at the 2026 fair"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>1</strong> subscription imported" in html
    assert "<strong>1</strong> row with problems" in html
    assert "<td>3</td><td>broken-address</td><td>not a valid email address</td>" in html
    assert Subscription.objects.get().consent_text == "Paper forms at the 2026 fair"


def test_import_form_errors_keep_what_was_typed(client, login_as, the_daily):
    login_as("Audience")

    response = client.post(IMPORT_URL, {"newsletter": the_daily.pk, "consent_note": "Typed note"})

    assert "This field is required." in response.content.decode()
    assert "Typed note" in response.content.decode()


def test_only_staff_with_the_import_permission_can_import(client, login_as, the_daily):
    login_as("Editor")

    response = client.post(
        IMPORT_URL, {"file": csv_file("email\na@example.com\n"), "newsletter": the_daily.pk, "consent_note": "x"}
    )

    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_export_then_import_round_trips(the_daily):
    from newsletter.export import csv_lines

    SubscriptionFactory(subscriber__email="=sum@example.com")
    SubscriptionFactory(subscriber__email="plain@example.com", status="unsubscribed")
    text = "".join(csv_lines(Subscription.objects.all()))
    Subscriber.objects.all().delete()

    report = run(text, the_daily)

    assert report.created == 2 and report.errors == []
    assert dict(Subscription.objects.values_list("subscriber__email", "status")) == {
        "=sum@example.com": "active",
        "plain@example.com": "unsubscribed",
    }
    assert list(csv.reader(io.StringIO(text)))[0][0] == "email"


def test_pending_rows_are_not_imported_as_consented_and_confirmation_times_are_not_invented(the_daily):
    report = run(
        "email,status,subscribed_at\nnever@example.com,pending,2025-01-01\nyes@example.com,active,2025-01-01\n",
        the_daily,
    )

    assert report.created == 1
    assert [(e.line, e.reason.split(" (")[0]) for e in report.errors] == [(2, "never confirmed the subscription")]
    assert Subscription.objects.get().confirmed_at is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Email Address,First Name,OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME\n"
            "left@example.com,Lee,2021-05-01 10:00:00,2021-05-01 10:05:00,2024-02-02 08:00:00\n",
            ("unsubscribed", "2021-05-01"),
        ),
        (
            "id,email,name,subscribed_to_emails,created_at\n64a,quiet@example.com,Q,false,2023-06-07T08:09:10.000Z\n",
            ("unsubscribed", "2023-06-07"),
        ),
        (
            'uuid,email,name,attributes,status,created_at\nu1,on@example.com,On,"{}",enabled,2022-01-02 03:04:05\n',
            ("active", "2022-01-02"),
        ),
    ],
    ids=["mailchimp unsubscribed", "ghost", "listmonk enabled"],
)
def test_other_providers_exports_keep_who_left(the_daily, text, expected):
    report = run(text, the_daily)

    assert report.errors == [] and report.created == 1
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.subscribed_at.date().isoformat()) == expected


def test_dates_out_of_range_are_row_errors(the_daily):
    report = run("email,subscribed_at\na@example.com,0001-01-01T00:00:00+05:00\nb@example.com,9999-12-31\n", the_daily)

    assert [e.line for e in report.errors] == [2, 3]
    assert "outside 1970–2100" in report.errors[0].reason
    assert not Subscription.objects.exists()


def test_line_numbers_count_lines_even_across_quoted_line_breaks(the_daily):
    report = run('email,note\nfine@example.com,"a note\nover two lines"\nbad-address,x\n', the_daily)

    assert [(e.line, e.value) for e in report.errors] == [(4, "bad-address")]


def test_a_huge_field_is_one_bad_row_not_a_failed_file(the_daily):
    report = run("email\n" + "x" * 200_000 + "@example.com\nok@example.com\n", the_daily)

    assert report.created == 1
    assert [e.line for e in report.errors] == [2]


def test_a_utf16_file_from_excel_imports(the_daily):
    upload = SimpleUploadedFile("list.txt", "email\tname\nutf16@example.com\tZoë\n".encode("utf-16"))

    report = subscribers_import(file=upload, newsletter=the_daily, consent_note="x")

    assert report.created == 1 and report.errors == []


def test_an_import_is_kept_in_each_subscriptions_history(the_daily, login_as):
    user = login_as("Audience")

    subscribers_import(file=csv_file("email\nhist@example.com\n"), newsletter=the_daily, consent_note="Fair", user=user)

    [event] = Subscription.objects.get().events.all()
    assert (event.kind, event.consent_text, event.note) == ("imported", "Fair", "imported by audience")


def test_an_upload_over_the_size_limit_is_refused(client, login_as, the_daily, settings):
    settings.NEWSLETTER_IMPORT_MAX_MB = 1
    login_as("Audience")
    big = csv_file("email\n" + "a@example.com\n" * 90_000)

    response = client.post(IMPORT_URL, {"file": big, "newsletter": the_daily.pk, "consent_note": "x"})

    assert "larger than 1 MB" in response.content.decode()
    assert not Subscription.objects.exists()


def test_two_imports_in_one_transaction_both_go_in(the_daily):
    """A batch job importing several files at once (each import's working table is its own)."""
    first = run("email\nann@example.org\n", the_daily)
    second = run("email\nbob@example.org\nann@example.org\n", the_daily)

    assert (first.created, second.created, second.already_there) == (1, 1, 1)


def test_an_address_in_its_display_form_is_imported_and_suppressed_bare_and_a_broken_one_refused(the_daily):
    from newsletter.models import Suppression

    report = run(
        'email,status\n"Ann <Ann@Example.com>",subscribed\n"Cat <Cat@Example.com>",cleaned\n'
        '"dan@example.com\nBcc: eve@example.com",cleaned\n',
        the_daily,
    )

    assert (report.created, report.newly_suppressed) == (1, 1)
    assert Subscriber.objects.get().email == "ann@example.com"
    assert list(Suppression.objects.values_list("email", flat=True)) == ["cat@example.com"]
    assert [(error.line, "not a valid email address" in error.reason) for error in report.errors] == [(4, True)]
