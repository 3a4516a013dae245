import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from newsletter.editions import edition_compose
from newsletter.models import Edition, Newsletter
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory
from tests.workers import Sink, Workers, publishing_to

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(tmp_path, settings, live_server):
    """A real worker process on the embedded broker, mailing an SMTP server in another process; the live
    server queues its tasks there, as the site does in production."""
    settings.SITE_URL = live_server.url
    sink = Sink(tmp_path / "maildir")
    workers = Workers("embedded", tmp_path, sink.port)
    workers.start(concurrency=1)
    try:
        with publishing_to(workers):
            yield sink
    finally:
        workers.stop_all()
        sink.stop()


def test_editor_reorders_previews_tests_and_sends_the_days_edition(live_server, page: Page, worker):
    now = timezone.now()
    ArticleFactory(headline="Ferry timetable changes", published_at=now - datetime.timedelta(hours=1), top_story=True)
    ArticleFactory(headline="Library opens on Sundays", published_at=now - datetime.timedelta(hours=2))
    SubscriptionFactory(subscriber__email="reader@example.com")
    edition, _ = edition_compose(newsletter=Newsletter.objects.get(slug="the-daily"), issue_date=timezone.localdate())
    editor = User.objects.create_user("ed", email="ed@example.com", password="correct horse battery", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))

    page.goto(f"{live_server.url}/admin/login/?next=/admin/newsletter/edition/")
    page.get_by_label("Username").fill("ed")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=edition.subject).first.click()

    page.locator("#id_items-0-order").fill("9")  # the lead story goes to the end
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.get_by_role("link", name="Preview the email").click()
    email = page.frame_locator("iframe.edition-preview")
    expect(email.get_by_text("Library opens on Sundays")).to_be_visible()
    text = page.locator("pre.edition-preview-text").inner_text()
    assert text.index("Library opens on Sundays") < text.index("Ferry timetable changes")
    page.get_by_role("link", name="Back to the edition").click()

    page.get_by_role("button", name="Send a test to me").click()
    expect(page.locator(".messagelist")).to_contain_text("A test was sent to ed@example.com")
    assert [m.subject for m in mail.outbox] == [f"[Test] {edition.subject}"]  # sent from the request, at once

    page.get_by_role("link", name="Send now…").click()
    expect(page.locator(".edition-question")).to_contain_text("to 1 subscriber of The Daily")
    assert len(mail.outbox) == 1
    page.get_by_role("button", name="Yes, send it to 1 subscriber").click()

    expect(page.locator('[data-progress="status_label"]')).to_have_text("Sent", timeout=30_000)  # by the worker
    expect(page.locator('[data-progress="sent"]')).to_have_text("1")
    assert [m["To"] for m in worker.messages()] == ["reader@example.com"]
    assert len(mail.outbox) == 1  # nothing was sent from the request but the test

    page.get_by_role("link", name="The web version").click()
    expect(page.get_by_text("Library opens on Sundays").first).to_be_visible()
    assert page.url.endswith(edition.get_absolute_url())


def test_a_sending_editions_page_follows_the_progress_without_a_reload(live_server, page: Page):
    edition = EditionFactory(articles=[ArticleFactory()])
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SENDING, started_at=timezone.now(), recipient_count=4, sent_count=1
    )
    staff = User.objects.create_user("aud", password="correct horse battery", is_staff=True)
    staff.groups.add(Group.objects.get(name="Audience"))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/newsletter/edition/{edition.pk}/change/")
    page.get_by_label("Username").fill("aud")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator('[data-progress="left"]')).to_have_text("3")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    Edition.objects.filter(pk=edition.pk).update(sent_count=3, failed_count=1)
    expect(page.locator('[data-progress="left"]')).to_have_text("0")
    expect(page.locator("progress")).to_have_attribute("value", "4")
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT, finished_at=timezone.now())

    expect(page.locator('[data-progress="status_label"]')).to_have_text("Sent")
    expect(page.locator(".edition-reload a")).to_contain_text("Reload for the full report")
    assert page.evaluate("window.loadedOnce") is True
