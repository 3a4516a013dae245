"""The story blocks as a reader meets them in the real browser: a gallery that swipes, scrolls and steps with its
buttons (and stays a plain row of every picture without JavaScript); a wide table that scrolls inside its own frame
on a phone instead of widening the page; an embed posted to a live blog after the reader opened it, whose provider
the page's policy did not name, falling back to its link rather than a blocked frame; and a video a reader plays or a
gallery they browse in a live blog, left as they are while other updates arrive, change and go."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from embeds.models import Embed
from live.models import LiveBlog, LiveUpdate
from live.services import live_update_deleted, live_update_save
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


def stored_video() -> Embed:
    """A video a provider has answered for: its facade shows without any network."""
    return Embed.objects.create(
        url="https://www.youtube.com/watch?v=Kx7Rf2pQm0A",
        provider="youtube",
        status=Embed.Status.READY,
        title="Water rising on Quay Street",
        frame_url="https://www.youtube-nocookie.com/embed/Kx7Rf2pQm0A",
    )


def test_an_embed_from_a_provider_the_open_page_did_not_name_falls_back_to_its_link(
    live_server, page: Page, settings, csp_violations
):
    settings.LIVE_REFRESH_SECONDS = 2
    story = ArticleFactory(headline="Floodwater reaches Kingsmere high street", slug="flood-live")
    editor = User.objects.create_superuser("ed", password="x")
    blog = LiveBlog.objects.create(article=story)
    video = stored_video().url
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


def test_a_video_playing_and_a_gallery_being_browsed_in_a_live_blog_stay_as_they_are_as_updates_arrive(
    live_server, page: Page, settings
):
    settings.LIVE_REFRESH_SECONDS = 2
    story = ArticleFactory(headline="Floodwater reaches Kingsmere high street", slug="flood-live")
    editor = User.objects.create_superuser("ed", password="x")
    blog = LiveBlog.objects.create(article=story)
    author = AuthorFactory(name="Ana Reporter")
    video = stored_video().url
    pictures = gallery_story().body.split("<p>After.</p>")[0]
    watching = live_update_save(update=LiveUpdate(live_blog=blog, author=author, body=f"<p>{video}</p>"), user=editor)
    browsing = live_update_save(update=LiveUpdate(live_blog=blog, author=author, body=pictures), user=editor)
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"), lambda route: route.abort())  # no network
    page.goto(live_server.url + story.get_absolute_url())

    page.locator(f"#update-{watching.pk}").get_by_role("button", name="Load content from YouTube").click()
    gallery = page.locator(f"#update-{browsing.pk} .gallery")
    gallery.get_by_role("button", name="Next picture").click()
    expect(gallery.locator(".gallery__status")).to_have_text("Picture 2 of 3")
    page.evaluate("window.watched = document.querySelector('iframe.embed__frame')")

    # A new update arrives on top; one is corrected; one is taken down: the others are left as the reader has them.
    extra = live_update_save(
        update=LiveUpdate(live_blog=blog, author=author, body="<p>Quay Street shut.</p>"), user=editor
    )
    expect(page.locator(".live-update[id]").first).to_contain_text("Quay Street shut.", timeout=15_000)
    expect(page.locator(".live__status")).to_have_text("1 new update")
    expect(page.locator(f"#update-{browsing.pk} .gallery__status")).to_have_text("Picture 2 of 3")
    assert page.evaluate("window.watched.isConnected")
    browsing.headline = "The market under water"
    live_update_save(update=browsing, user=editor)
    expect(page.locator(f"#update-{browsing.pk}")).to_contain_text("The market under water", timeout=15_000)
    extra.delete()
    live_update_deleted(update=extra)
    expect(page.locator(".live-update[id]")).to_have_count(2, timeout=15_000)

    assert page.evaluate("window.watched.isConnected && window.watched === document.querySelector('iframe')")
    expect(page.locator(f"#update-{watching.pk} .embed__consent")).to_have_count(0)
    # The corrected update is the new version, its gallery ready to browse again.
    expect(page.locator(f"#update-{browsing.pk} .gallery__status")).to_have_text("Picture 1 of 3")
    assert [item.get_attribute("id") for item in page.locator(".live-update[id]").all()] == [
        f"update-{browsing.pk}",
        f"update-{watching.pk}",
    ]
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_an_embed_resolved_after_the_reader_opened_the_live_blog_shows_its_facade_there(
    live_server, page: Page, settings, monkeypatch
):
    from embeds.services import embed_resolve

    settings.LIVE_REFRESH_SECONDS = 2
    monkeypatch.setattr("embeds.services.enqueue", lambda *args: None)  # the worker is busy elsewhere
    story = ArticleFactory(headline="Floodwater reaches Kingsmere high street", slug="flood-live")
    editor = User.objects.create_superuser("ed", password="x")
    blog = LiveBlog.objects.create(article=story)
    closures = "https://www.openstreetmap.org/#map=15/52.20500/0.11900"
    update = live_update_save(
        update=LiveUpdate(live_blog=blog, author=AuthorFactory(), body=f"<p>Road closures:</p><p>{closures}</p>"),
        user=editor,
    )
    embed = Embed.objects.get(url=closures)  # registered, waiting for the worker
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"), lambda route: route.abort())  # no network
    page.goto(live_server.url + story.get_absolute_url())
    expect(page.locator(f"#update-{update.pk} a[href='{closures}']")).to_be_visible()  # a link to follow, for now

    embed_resolve(embed)  # the worker's task: no new update, no change to this one's text

    facade = page.locator(f"#update-{update.pk} figure.embed")
    expect(facade.get_by_role("button", name="Load content from OpenStreetMap")).to_be_visible(timeout=15_000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
