"""A reader switches newsletters from an edition's link; the provider's bounce and complaint reach the list."""

import base64
import datetime
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from newsletter import sending
from newsletter.models import Delivery, Edition, Newsletter, Subscription, Suppression
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "newsroom:webhook-secret"


def sent_edition(issue_date) -> Edition:
    """An edition sent to every active subscriber, here and now (the mail lands in the test's outbox)."""
    edition = EditionFactory(articles=[ArticleFactory(published_at=timezone.now())], issue_date=issue_date)
    sending.edition_start(edition)
    sending.edition_send(edition.pk)
    return Edition.objects.get(pk=edition.pk)


def test_a_reader_switches_newsletters_from_the_link_in_an_edition(live_server, page: Page, settings, monkeypatch):
    settings.SITE_URL = live_server.url
    monkeypatch.setattr(sending, "senders_enqueue", lambda *args, **kwargs: None)
    culture = Newsletter.objects.create(name="The Culture Letter", slug="culture", description="Theatre and music.")
    reader = SubscriptionFactory(subscriber__email="reader@example.com")
    sent_edition(timezone.localdate())
    [message] = [m for m in mail.outbox if m.to == ["reader@example.com"]]
    preferences_url = re.search(r"https?://\S+/newsletter/preferences/\S+?/", message.body).group(0)

    page.goto(preferences_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your newsletters")
    expect(page.get_by_label("The Daily")).to_be_checked()
    expect(page.get_by_label("The Culture Letter")).not_to_be_checked()
    expect(page.get_by_text("Theatre and music.")).to_be_visible()
    page.get_by_label("The Culture Letter").check()
    page.get_by_label("The Daily").uncheck()
    page.get_by_role("button", name="Save my choices").click()

    expect(page.get_by_role("status")).to_contain_text("You are now subscribed to The Culture Letter")
    expect(page.get_by_label("The Culture Letter")).to_be_checked()
    expect(page.get_by_label("The Daily")).not_to_be_checked()
    assert Subscription.objects.get(pk=reader.pk).status == "unsubscribed"
    joined = Subscription.objects.get(newsletter=culture)
    assert joined.status == "active"  # the address was confirmed: no second opt-in
    event = joined.events.get()
    assert (event.kind, event.ip) == ("subscribed", "127.0.0.1") and "Chrome" in event.user_agent

    page.get_by_role("button", name="Unsubscribe from everything").click()
    expect(page.get_by_role("status")).to_contain_text("unsubscribed from everything")
    assert set(Subscription.objects.values_list("status", flat=True)) == {"unsubscribed"}


def test_a_bounce_and_a_complaint_from_the_provider_leave_the_next_edition_and_show_in_the_report(
    live_server, page: Page, settings, monkeypatch
):
    settings.SITE_URL = live_server.url
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    monkeypatch.setattr(sending, "senders_enqueue", lambda *args, **kwargs: None)
    for name in ("gone", "angry", "happy"):
        SubscriptionFactory(subscriber__email=f"{name}@example.com")
    first = sent_edition(timezone.localdate() - datetime.timedelta(days=1))
    auth = {"Authorization": "Basic " + base64.b64encode(SECRET.encode()).decode()}
    webhook = f"{live_server.url}/anymail/postmark/tracking/"

    bounce = {"RecordType": "Bounce", "ID": 1, "Type": "HardBounce", "Email": "gone@example.com", "MessageID": "m1",
              "BouncedAt": "2026-12-03T07:00:00Z", "Details": "smtp;550 5.1.1 No such user"}  # fmt: skip
    complaint = {"RecordType": "SpamComplaint", "ID": 2, "Type": "SpamComplaint", "Email": "angry@example.com",
                 "MessageID": "m2", "BouncedAt": "2026-12-03T07:05:00Z"}  # fmt: skip
    assert page.request.post(webhook, data=bounce, headers=auth).status == 200
    assert page.request.post(webhook, data=complaint, headers=auth).status == 200
    assert page.request.post(webhook, data=complaint, headers={"Authorization": "Basic bm86bm8="}).status == 400

    assert set(Suppression.objects.values_list("email", "reason")) == {
        ("gone@example.com", "hard_bounce"),
        ("angry@example.com", "complaint"),
    }
    second = sent_edition(timezone.localdate())
    assert list(Delivery.objects.filter(edition=second).values_list("subscription__subscriber__email", flat=True)) == [
        "happy@example.com"
    ]

    editor = User.objects.create_user("ed", password="correct horse battery", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/newsletter/edition/{first.pk}/change/")
    page.get_by_label("Username").fill("ed")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    report = page.locator(".edition-counts").last
    expect(report.locator("div", has_text="Hard bounces")).to_contain_text("1")
    expect(report.locator("div", has_text="Complaints")).to_contain_text("1 (33.33%)")
    expect(page.get_by_text("Complaints are past 0.3% of the recipients")).to_be_visible()
