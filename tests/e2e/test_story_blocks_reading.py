"""The story blocks as a reader meets them in the real browser: a gallery that swipes, scrolls and steps with its
buttons (and stays a plain row of every picture without JavaScript); a wide table that scrolls inside its own frame
on a phone instead of widening the page; an embed posted to a live blog after the reader opened it, whose provider
the page's policy did not name, falling back to its link rather than a blocked frame."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from embeds.models import Embed
from live.models import LiveBlog, LiveUpdate
from live.services import live_update_save
from tests.factories import ArticleFactory, AuthorFactory, ImageFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}


def gallery_story():
    images = [ImageFactory(alt_text=f"Stall number {n} on the market", caption=f"Stall {n}") for n in range(1, 4)]
    figures = "".join(f'<figure data-image="{image.pk}"></figure>' for image in images)
    return ArticleFactory(body=f'<p>The market in pictures.</p><div data-gallery="">{figures}</div><p>After.</p>')


def test_a_gallery_steps_with_its_buttons_and_says_which_picture_shows(live_server, page: Page):
    story = gallery_story()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + story.get_absolute_url())

    gallery = page.locator(".gallery")
    status = gallery.locator(".gallery__status")
    previous = gallery.get_by_role("button", name="Previous picture")
    following = gallery.get_by_role("button", name="Next picture")
    expect(status).to_have_text("Picture 1 of 3")
    expect(previous).to_be_disabled()
    following.click()
    expect(status).to_have_text("Picture 2 of 3")
    following.click()
    expect(status).to_have_text("Picture 3 of 3")
    expect(following).to_be_disabled()
    previous.click()
    expect(status).to_have_text("Picture 2 of 3")
    # The row itself scrolls by keyboard (it takes focus) and the page never scrolls sideways.
    gallery.locator(".gallery__row").focus()
    expect(gallery.locator(".gallery__row")).to_be_focused()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_without_javascript_a_gallery_is_a_row_of_every_picture_that_scrolls(live_server, browser):
    story = gallery_story()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + story.get_absolute_url())

    row = page.locator(".gallery__row")
    expect(row.locator("img")).to_have_count(3)
    expect(page.locator(".gallery__controls")).to_have_count(0)
    assert row.evaluate("row => row.scrollWidth > row.clientWidth && getComputedStyle(row).overflowX === 'auto'")
    expect(row.locator("figcaption").first).to_contain_text("1 of 3")
    context.close()


def test_a_wide_table_scrolls_in_its_own_frame_on_a_phone(live_server, page: Page):
    header = "".join(f"<th><p>Round {n}</p></th>" for n in range(1, 11))
    cells = "".join(f"<td><p>{n * 7} points</p></td>" for n in range(1, 11))
    story = ArticleFactory(
        body=f'<table data-caption="Points by round"><tbody><tr>{header}</tr><tr>{cells}</tr></tbody></table>'
    )
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + story.get_absolute_url())

    frame = page.get_by_role("region", name="Points by round")
    expect(frame.get_by_role("columnheader", name="Round 10")).to_have_count(1)
    assert frame.evaluate("frame => frame.scrollWidth > frame.clientWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    frame.focus()
    for _ in range(20):  # the arrow keys scroll the focused frame (smoothly: wait for it to move)
        page.keyboard.press("ArrowRight")
        if frame.evaluate("frame => frame.scrollLeft") > 0:
            break
        page.wait_for_timeout(100)
    assert frame.evaluate("frame => frame.scrollLeft") > 0


def test_an_embed_from_a_provider_the_open_page_did_not_name_falls_back_to_its_link(
    live_server, page: Page, settings, csp_violations
):
    settings.LIVE_REFRESH_SECONDS = 2
    story = ArticleFactory(headline="Floodwater reaches Kingsmere high street", slug="flood-live")
    editor = User.objects.create_superuser("ed", password="x")
    blog = LiveBlog.objects.create(article=story)
    video = "https://www.youtube.com/watch?v=Kx7Rf2pQm0A"
    Embed.objects.create(
        url=video,
        provider="youtube",
        status=Embed.Status.READY,
        title="Water rising on Quay Street",
        frame_url="https://www.youtube-nocookie.com/embed/Kx7Rf2pQm0A",
    )
    outside = []
    page.route(
        re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"),
        lambda route: (outside.append(route.request.url), route.abort()),
    )
    page.goto(live_server.url + story.get_absolute_url())  # opened before any embed: its policy names no player

    author = AuthorFactory()
    live_update_save(update=LiveUpdate(live_blog=blog, author=author, body=f"<p>{video}</p>"), user=editor)
    embed = page.locator(".live-update figure.embed")
    expect(embed).to_have_count(1, timeout=15_000)
    embed.get_by_role("button", name="Load content from YouTube").click()

    expect(embed.locator("a.embed__facade")).to_be_visible()  # the link to the original is back
    expect(embed.locator("iframe")).to_have_count(0)
    assert [violation["directive"] for violation in csp_violations] == ["frame-src"]
    assert outside == []
    csp_violations.clear()  # the refusal was the point

    page.reload()  # a page made after the update names the player, and it loads
    page.locator(".live-update figure.embed").get_by_role("button", name="Load content from YouTube").click()
    expect(page.locator(".live-update iframe.embed__frame")).to_have_attribute("src", re.compile("youtube-nocookie"))
