import csv
import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from playwright.sync_api import Page, expect

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_reader_subscribes_confirms_and_audience_staff_download_the_list(live_server, page: Page, settings):
    settings.SITE_URL = live_server.url
    article = ArticleFactory(headline="Ferry returns to the Wend")
    staff = User.objects.create_user("audience", password="correct horse battery", is_staff=True)
    staff.groups.add(Group.objects.get(name="Audience"))

    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    form = page.locator(".article-signup form")
    form.get_by_label("Email address").fill("Browser.Reader@example.com")
    form.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    [message] = mail.outbox
    confirm_url = re.search(r"https?://\S+/newsletter/confirm/\S+?/", message.body).group(0)
    page.goto(confirm_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You’re subscribed")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/newsletter/subscription/")
    page.get_by_label("Username").fill("audience")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".status-counts")).to_contain_text("1 active")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Export all 1 matching as CSV")).click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))

    assert [(r["email"], r["newsletter"], r["status"], r["source"]) for r in rows] == [
        ("browser.reader@example.com", "the-daily", "active", article.get_absolute_url())
    ]


def test_signup_form_works_without_javascript(live_server, browser, settings):
    settings.SITE_URL = live_server.url
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(live_server.url)
    form = page.locator("footer form")
    form.get_by_label("Email address").fill("nojs@example.com")
    form.get_by_role("button", name="Subscribe").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert len(mail.outbox) == 1
    context.close()
