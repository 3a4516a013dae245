"""An embed in a story as readers get it: a facade (our thumbnail, the title, the provider's name, a button) that
requests nothing from the provider; the policy lets in exactly the frames of the providers on the page; the
provider's own markup only in a sandboxed frame of its own; a plain link until the link is resolved."""

import re

import pytest
from django.test import Client

from embeds.models import Embed
from embeds.services import embed_resolve
from tests.factories import ArticleFactory, image_bytes

pytestmark = pytest.mark.django_db

VIDEO = "https://www.youtube.com/watch?v=Kx7Rf2pQm0A"
POST = "https://bsky.app/profile/courier.example/post/3kflood2x"
MAP = "https://www.openstreetmap.org/#map=15/52.20500/0.11900"
HOSTILE = '<blockquote>Water at the door</blockquote><script src="https://embed.bsky.app/static/embed.js"></script>'


def policy(response) -> dict[str, list[str]]:
    parts = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in parts}


@pytest.fixture
def thumbnail():
    from django.core.files.base import ContentFile

    from articles.services import image_create

    return image_create(file=ContentFile(image_bytes("JPEG", size=(480, 270)), name="t.jpg"), alt_text="A flood")


@pytest.fixture
def video(thumbnail):
    return Embed.objects.create(
        url=VIDEO,
        provider="youtube",
        status=Embed.Status.READY,
        kind="video",
        title="Floodwater <reaches> the high street",
        author_name="Courier Video",
        thumbnail=thumbnail,
        html='<iframe src="https://www.youtube.com/embed/Kx7Rf2pQm0A"></iframe>',
        frame_url="https://www.youtube-nocookie.com/embed/Kx7Rf2pQm0A",
        width=640,
        height=360,
    )


@pytest.fixture
def post():
    return Embed.objects.create(
        url=POST, provider="bluesky", status=Embed.Status.READY, kind="rich", title="Courier on Bluesky", html=HOSTILE
    )


def story(*paragraphs: str):
    return ArticleFactory(body="".join(f"<p>{p}</p>" for p in paragraphs))


def test_a_link_on_a_line_of_its_own_shows_as_a_facade_that_loads_nothing_from_the_provider(client, video):
    article = story(
        "The river rose overnight.",
        f'<a href="{VIDEO}">{VIDEO}</a>',
        f'Watch <a href="{VIDEO}">the video</a> of the flood.',
    )

    response = client.get(article.get_absolute_url())
    html = response.content.decode()

    [figure] = re.findall(r'<figure class="embed".*?</figure>', html, re.S)
    assert 'data-frame="https://www.youtube-nocookie.com/embed/Kx7Rf2pQm0A"' in figure
    assert "Floodwater &lt;reaches&gt; the high street" in figure  # the provider's title, escaped
    assert f'<a class="embed__facade" href="{VIDEO}">' in figure  # without JavaScript, a link to the original
    assert "Load content from YouTube" in figure and "embed__consent" in figure
    assert re.search(r'<div class="embed__consent" hidden>', figure)  # shown by the script
    assert "/media/" in figure  # our copy of the thumbnail
    # Nothing on the page comes from the provider: no frame, no script, no picture of theirs.
    assert "<iframe" not in html and "youtube.com/embed" not in html
    assert not re.search(r'(src|srcset)="https?://(?!testserver)', html)
    assert f'Watch <a href="{VIDEO}">the video</a> of the flood.' in html  # a link in words stays a link


def test_the_policy_allows_exactly_the_frames_of_the_providers_on_the_page(client, video, post):
    both = story(f"<a href='{VIDEO}'>{VIDEO}</a>", POST)
    none = story("No embeds here.")

    with_embeds, without = client.get(both.get_absolute_url()), client.get(none.get_absolute_url())

    assert policy(with_embeds)["frame-src"] == [
        "'self'",
        "https://embed.bsky.app",
        "https://www.youtube-nocookie.com",
        "https://www.youtube.com",
    ]
    assert "frame-src" not in policy(without) and policy(without)["default-src"] == ["'none'"]
    assert policy(with_embeds)["script-src"] == ["'self'"]
    features = dict(item.split("=", 1) for item in with_embeds["Permissions-Policy"].split(", "))
    assert (
        features["autoplay"]
        == '("https://embed.bsky.app" "https://www.youtube-nocookie.com" "https://www.youtube.com")'
    )
    assert features["camera"] == "()"
    assert "autoplay=()" in without["Permissions-Policy"]
    # Kept with the page in the cache, headers and all.
    again = client.get(both.get_absolute_url())
    assert again["Content-Security-Policy"] == with_embeds["Content-Security-Policy"]


def test_a_providers_markup_is_only_in_its_own_sandboxed_frame(client, post):
    article = story(POST)

    page = client.get(article.get_absolute_url()).content.decode()
    frame = client.get(f"/embeds/{post.pk}/frame/")

    assert "Water at the door" not in page and "embed.js" not in page
    assert f'data-frame="/embeds/{post.pk}/frame/"' in page
    assert 'data-sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"' in page  # no same-origin
    assert frame.status_code == 200 and HOSTILE in frame.content.decode()
    frame_policy = policy(frame)
    assert frame_policy["frame-ancestors"] == ["'self'"]
    assert frame_policy["sandbox"] == ["allow-scripts", "allow-popups", "allow-popups-to-escape-sandbox"]
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize("status", [Embed.Status.PENDING, Embed.Status.FAILED])
def test_the_frame_of_an_embed_not_resolved_or_with_a_player_of_its_own_is_not_found(client, video, post, status):
    Embed.objects.filter(pk=post.pk).update(status=status)
    assert client.get(f"/embeds/{post.pk}/frame/").status_code == 404
    assert client.get(f"/embeds/{video.pk}/frame/").status_code == 404  # its player loads from YouTube itself
    assert client.get("/embeds/999999/frame/").status_code == 404


def test_until_the_link_is_resolved_readers_see_a_plain_link_and_then_the_facade_at_once(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # saved; the worker has not run yet
        article = story("The flood reached the market square.", MAP)
    embed = Embed.objects.get(url=MAP)  # registered by the save, waiting for the worker

    before = client.get(article.get_absolute_url()).content.decode()
    assert f'<p><a href="{MAP}">{MAP}</a></p>' in before and 'class="embed"' not in before  # a link to follow
    assert client.get(article.get_absolute_url()).content.decode() == before  # from the cache

    embed_resolve(embed)  # the worker's task

    after = client.get(article.get_absolute_url()).content.decode()
    assert 'class="embed"' in after and 'data-frame="https://www.openstreetmap.org/export/embed.html?' in after


def test_saving_a_story_registers_its_embed_links_and_a_worker_resolves_them(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        story("Before.", f'<a href="{MAP}">{MAP}</a>', "https://example.org/not-a-provider", "After.")

    [embed] = Embed.objects.all()
    assert embed.url == MAP and embed.status == Embed.Status.READY


def test_a_map_with_no_position_stays_a_plain_link_for_readers(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = story("https://www.openstreetmap.org/about")

    assert Embed.objects.get().status == Embed.Status.FAILED
    html = client.get(article.get_absolute_url()).content.decode()
    link = "https://www.openstreetmap.org/about"
    assert f'<p><a href="{link}">{link}</a></p>' in html and 'class="embed"' not in html


@pytest.mark.parametrize("n", [1, 6])
def test_a_story_with_embeds_costs_one_query_more_however_many(django_assert_num_queries, thumbnail, n):
    links = [f"https://www.youtube.com/watch?v=Kx7Rf2pQm{i:02d}" for i in range(n)]
    for url in links:
        Embed.objects.create(url=url, provider="youtube", status=Embed.Status.READY, title=url, thumbnail=thumbnail)
    article = story(*links)
    plain = story("No embeds here.")
    Client().get(plain.get_absolute_url())  # the related news of both, warmed alike

    with django_assert_num_queries(3):  # as a story without them (tests/articles/test_pages.py), and the embeds
        response = Client().get(article.get_absolute_url())
    assert response.content.decode().count('class="embed"') == n


def test_the_same_video_twice_on_a_page_gives_it_no_id_twice(client, video):
    from collections import Counter

    from live.models import LiveBlog, LiveUpdate
    from tests.factories import AuthorFactory

    article = story("Before the flood.", VIDEO, "And again:", VIDEO)
    LiveUpdate.objects.create(
        live_blog=LiveBlog.objects.create(article=article), author=AuthorFactory(), body=f"<p>{VIDEO}</p>"
    )

    html = client.get(article.get_absolute_url()).content.decode()

    assert html.count('<figure class="embed"') == 3
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [name for name, times in ids.items() if times > 1] == []


@pytest.mark.parametrize("address", ["http://[::1/x", "https://[::1/x"])
def test_a_story_with_a_malformed_address_alone_in_a_paragraph_saves_and_shows(client, address):
    article = ArticleFactory(body=f'<p>Before.</p><p>{address}</p><p><a href="{address}">{address}</a></p>')

    page = client.get(article.get_absolute_url())

    assert page.status_code == 200 and "Before." in page.content.decode()
    assert not Embed.objects.exists()
