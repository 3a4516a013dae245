"""Embeds in the real browser: the page requests nothing from any provider until the reader presses the button,
which loads the player (or the provider's markup, in a sandboxed frame of its own) under the page's policy. The
providers are stood in for by Playwright's routing, so nothing leaves this machine."""

import re

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from articles.services import image_create
from embeds.models import Embed
from tests.factories import ArticleFactory, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

VIDEO = "https://www.youtube.com/watch?v=Kx7Rf2pQm0A"
POST = "https://bsky.app/profile/courier.example/post/3kflood2x"
PLAYER = "https://www.youtube-nocookie.com/embed/Kx7Rf2pQm0A"
SCRIPT = "https://embed.bsky.app/static/embed.js"


@pytest.fixture
def story():
    thumbnail = image_create(file=ContentFile(image_bytes("JPEG", size=(480, 270)), name="t.jpg"), alt_text="Flood")
    Embed.objects.create(
        url=VIDEO,
        provider="youtube",
        status=Embed.Status.READY,
        title="Floodwater reaches the high street",
        thumbnail=thumbnail,
        frame_url=PLAYER,
        width=640,
        height=360,
    )
    Embed.objects.create(
        url=POST,
        provider="bluesky",
        status=Embed.Status.READY,
        title="Courier on Bluesky",
        html=f'<blockquote>Water at the door of the Corn Exchange</blockquote><script src="{SCRIPT}"></script>',
    )
    return ArticleFactory(body=f"<p>The river rose.</p><p>{VIDEO}</p><p>Then:</p><p>{POST}</p>")


@pytest.fixture
def providers(context):
    """The providers' hosts, answered here; every request the pages make is recorded."""
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    context.route(
        re.compile(r"https://www\.youtube-nocookie\.com/.*"),
        lambda route: route.fulfill(
            body="<!doctype html><title>Player</title><p>Playing</p>", content_type="text/html"
        ),
    )
    context.route(
        re.compile(r"https://embed\.bsky\.app/.*"),
        lambda route: route.fulfill(body="document.body.dataset.embedded = 'yes';", content_type="text/javascript"),
    )
    return requested


def test_nothing_is_requested_from_a_provider_until_the_reader_asks(live_server, page, providers, story):
    page.goto(live_server.url + story.get_absolute_url())
    page.wait_for_load_state("networkidle")

    assert providers and all(url.startswith(live_server.url) for url in providers), providers
    video = page.locator("figure.embed").first
    expect(video.get_by_role("link", name=re.compile("Floodwater reaches the high street"))).to_have_attribute(
        "href", VIDEO
    )
    button = video.get_by_role("button", name="Load content from YouTube")
    expect(button).to_be_visible()

    button.click()

    frame = video.locator("iframe")
    expect(frame).to_have_attribute("src", PLAYER)
    expect(frame).to_have_attribute("title", "Floodwater reaches the high street")
    assert set(frame.get_attribute("sandbox").split()) >= {"allow-scripts", "allow-same-origin"}
    expect(page.frame_locator("figure.embed iframe").first.locator("p")).to_have_text("Playing")
    assert any(url.startswith(PLAYER) for url in providers)
    assert not any(url.startswith("https://embed.bsky.app") for url in providers)  # the other one still waits


def test_a_providers_markup_runs_only_in_its_own_sandbox_once_asked(live_server, page, providers, story):
    page.goto(live_server.url + story.get_absolute_url())
    post = page.locator("figure.embed").nth(1)
    assert "Water at the door" not in page.content()

    post.get_by_role("button", name="Load content from Bluesky").click()

    frame = post.locator("iframe")
    expect(frame).to_have_attribute("src", re.compile(r"^/embeds/\d+/frame/$"))
    assert "allow-same-origin" not in frame.get_attribute("sandbox")  # no origin: none of our cookies or storage
    inside = page.frame_locator("figure.embed iframe").first
    expect(inside.locator("blockquote")).to_have_text("Water at the door of the Corn Exchange")
    expect(inside.locator("body")).to_have_attribute("data-embedded", "yes")  # the provider's script ran, there
    assert any(url.startswith(SCRIPT) for url in providers)
    assert page.evaluate("document.body.dataset.embedded") is None  # and not on our page


def test_without_javascript_each_embed_is_a_link_to_the_original(live_server, browser, story):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + story.get_absolute_url())

    links = page.locator("a.embed__facade")
    expect(links).to_have_count(2)
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [VIDEO, POST]
    expect(page.get_by_role("button", name=re.compile("Load content"))).to_have_count(0)
    context.close()
