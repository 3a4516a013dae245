"""A live blog in the real browser: two journalists post updates through the back office while a reader's open page
shows them arriving, newest first, without a reload; the editor closes it and the page says so on the next load."""

import re

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Browser, Page, expect

from live.models import LiveBlog
from tests.factories import ArticleFactory, AuthorFactory, BylineFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def signed_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def post_update(page: Page, base: str, text: str, headline: str = ""):
    page.goto(f"{base}/admin/live/liveupdate/add/")
    page.get_by_label("Story").select_option(label="Floodwater reaches Kingsmere high street")
    if headline:
        page.get_by_label("Headline").fill(headline)
    body = page.locator(".prose-editor [contenteditable=true]")
    body.click()
    body.type(text)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")


def test_two_journalists_update_a_live_blog_while_a_readers_page_shows_them_arriving(
    live_server, browser, page, settings
):
    settings.LIVE_REFRESH_SECONDS = 2
    settings.STAFF_2FA_REQUIRED = False
    story = ArticleFactory(headline="Floodwater reaches Kingsmere high street", slug="flood-live")
    for name in ["ana", "ben"]:
        user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name="Journalist"))
        BylineFactory(article=story, author=AuthorFactory(name=f"{name.title()} Reporter", user=user))
    LiveBlog.objects.create(article=story)
    base = live_server.url

    page.goto(base + story.get_absolute_url())  # the reader's page, left open
    expect(page.locator(".live-badge")).to_contain_text("Live")
    expect(page.locator(".live-update")).to_have_text(re.compile("No updates yet"))

    ana, ben = signed_in(browser, base, "ana"), signed_in(browser, base, "ben")
    post_update(ana, base, "Water is over the kerb on Quay Street.")
    expect(page.locator(".live-update[id]")).to_have_count(1, timeout=15_000)
    expect(page.locator(".live__status")).to_have_text("1 new update")
    post_update(ben, base, "Sandbags are being handed out at the Corn Exchange.", headline="Sandbags")

    updates = page.locator(".live-update[id]")
    expect(updates).to_have_count(2, timeout=15_000)
    expect(updates.first).to_contain_text("Sandbags")
    expect(updates.first).to_contain_text("Ben Reporter")
    expect(updates.nth(1)).to_contain_text("Ana Reporter")
    permalink = updates.first.locator(".live-update__meta a")
    update_id = updates.first.get_attribute("id")
    expect(permalink).to_have_attribute("href", f"#{update_id}")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
