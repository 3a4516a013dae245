"""Embeds resolved through a provider's oEmbed endpoint: here a provider stub, an HTTP server on loopback that this
test starts, standing in for YouTube and the rest. What a worker fetches, how long it waits, how much it reads,
where it refuses to go, and what the reporter is left with when a provider fails (a plain link, never an error)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from articles.models import Image
from embeds.fetching import FetchError, address_is_public, fetch
from embeds.models import Embed
from embeds.providers import Provider, provider_for
from embeds.services import embed_for_url, embed_refresh, embed_resolve
from tests.factories import ArticleFactory, AuthorFactory, image_bytes

pytestmark = pytest.mark.django_db

HOSTILE = '<blockquote>Post</blockquote><script>alert(1)</script><img src=x onerror="alert(2)">'


class Stub(BaseHTTPRequestHandler):
    """The provider: each path answers as one kind of provider would."""

    routes: dict = {}
    seen: list = []

    def do_GET(self):
        self.seen.append(self.path)
        handler = self.routes.get(self.path.split("?")[0])
        if handler is None:
            self.send_error(404)
            return
        handler(self)

    def log_message(self, *args):
        pass

    def answer(self, body: bytes, kind="application/json", status=200, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def stub(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    Stub.routes, Stub.seen = {}, []
    settings.EMBED_FETCH_ALLOW = [f"127.0.0.1:{port}"]
    settings.EMBED_FETCH_TIMEOUT = 1
    settings.EMBED_FETCH_MAX_BYTES = 64 * 1024
    settings.EMBED_EXTRA_PROVIDERS = [
        Provider(
            "stubtube",
            "Stubtube",
            (r"https://video\.example/watch/\d+",),
            f"{base}/oembed",
            ("https://player.video.example",),
        )
    ]
    yield base
    server.shutdown()
    server.server_close()


def oembed(**overrides) -> dict:
    return {
        "version": "1.0",
        "type": "video",
        "title": "Floodwater reaches the <b>high street</b>",
        "author_name": "Courier Video",
        "author_url": "https://video.example/courier",
        "html": '<iframe src="https://player.video.example/embed/42" width="640" height="360"></iframe>',
        "width": 640,
        "height": 360,
        **overrides,
    }


def serve_json(data):
    return lambda handler: handler.answer(json.dumps(data).encode())


def test_a_providers_link_is_resolved_on_commit_with_its_thumbnail_copied_into_the_library(
    stub, django_capture_on_commit_callbacks
):
    Stub.routes["/oembed"] = serve_json(oembed(thumbnail_url=f"{stub}/thumb.jpg"))
    Stub.routes["/thumb.jpg"] = lambda h: h.answer(image_bytes("JPEG", size=(480, 270)), "image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")
        assert embed.status == Embed.Status.PENDING  # nothing fetched in the request that saved it
        assert Stub.seen == []

    embed.refresh_from_db()
    assert embed.status == Embed.Status.READY
    assert embed.provider == "stubtube" and embed.provider_name == "Stubtube"
    assert embed.title == "Floodwater reaches the <b>high street</b>"  # text: escaped wherever it is shown
    assert (embed.author_name, embed.author_url) == ("Courier Video", "https://video.example/courier")
    assert embed.frame_url == "https://player.video.example/embed/42"
    assert (embed.width, embed.height) == (640, 360)
    assert embed.thumbnail.file and (embed.thumbnail.width, embed.thumbnail.height) == (480, 270)
    assert embed.thumbnail.credit == "Stubtube"
    assert embed.frame_origins() == {"https://player.video.example"}
    [request] = [path for path in Stub.seen if path.startswith("/oembed")]
    assert "url=https%3A%2F%2Fvideo.example%2Fwatch%2F42" in request and "format=json" in request


def test_the_same_link_is_one_embed_and_is_fetched_once(stub, django_capture_on_commit_callbacks):
    Stub.routes["/oembed"] = serve_json(oembed())
    with django_capture_on_commit_callbacks(execute=True):
        first = embed_for_url("https://video.example/watch/42")
        second = embed_for_url("  https://VIDEO.example/watch/42#t=3 ")
    assert first.pk == second.pk
    assert len(Stub.seen) == 1


def test_fetching_again_on_demand_takes_the_providers_new_answer_and_replaces_the_thumbnail(
    stub, django_capture_on_commit_callbacks
):
    Stub.routes["/oembed"] = serve_json(oembed(thumbnail_url=f"{stub}/thumb.jpg"))
    Stub.routes["/thumb.jpg"] = lambda h: h.answer(image_bytes("JPEG", size=(480, 270)), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")
    old_thumbnail = Embed.objects.get(pk=embed.pk).thumbnail_id

    Stub.routes["/oembed"] = serve_json(oembed(title="Floodwater recedes", thumbnail_url=f"{stub}/thumb.jpg"))
    with django_capture_on_commit_callbacks(execute=True):
        embed_refresh(embed)

    embed.refresh_from_db()
    assert embed.title == "Floodwater recedes"
    assert embed.thumbnail_id != old_thumbnail and not Image.objects.filter(pk=old_thumbnail).exists()


@pytest.mark.parametrize(
    "taken_up",
    [
        lambda image: ArticleFactory(lead_image=image),
        lambda image: ArticleFactory(body=f'<figure data-image="{image.pk}"></figure>', status="draft"),
        lambda image: AuthorFactory(photo=image),
    ],
    ids=["as a story's lead picture", "placed in a draft's text", "as an author's photo"],
)
def test_a_replaced_thumbnail_a_story_or_an_author_took_up_is_kept(stub, django_capture_on_commit_callbacks, taken_up):
    Stub.routes["/oembed"] = serve_json(oembed(thumbnail_url=f"{stub}/thumb.jpg"))
    Stub.routes["/thumb.jpg"] = lambda h: h.answer(image_bytes("JPEG", size=(480, 270)), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")
    old_thumbnail = Embed.objects.get(pk=embed.pk).thumbnail
    taken_up(old_thumbnail)  # chosen before the choosers left thumbnails out

    embed = embed_resolve(Embed.objects.get(pk=embed.pk))  # what the worker does: no error to retry on

    assert embed.status == Embed.Status.READY and embed.thumbnail_id != old_thumbnail.pk
    assert Image.objects.filter(pk=old_thumbnail.pk).exists()


def test_a_worker_stopped_while_keeping_the_answer_leaves_no_thumbnail_behind(
    stub, django_capture_on_commit_callbacks, monkeypatch
):
    Stub.routes["/oembed"] = serve_json(oembed(thumbnail_url=f"{stub}/thumb.jpg"))
    Stub.routes["/thumb.jpg"] = lambda h: h.answer(image_bytes("JPEG", size=(480, 270)), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")
    pictures = set(Image.objects.values_list("pk", flat=True))

    def stopped(pk):
        raise SystemExit("the worker is stopped here")

    monkeypatch.setattr("embeds.services._drop_thumbnail", stopped)
    with pytest.raises(SystemExit):
        embed_resolve(Embed.objects.get(pk=embed.pk))

    assert set(Image.objects.values_list("pk", flat=True)) == pictures
    assert Embed.objects.get(pk=embed.pk).thumbnail_id in pictures


@pytest.mark.parametrize(
    ("route", "error"),
    [
        (lambda h: (time.sleep(2), h.answer(b"{}")), "no answer within 1 s"),
        (lambda h: h.answer(b"x" * (65 * 1024)), "sent more than 65,536 bytes"),
        (lambda h: h.answer(b"not json"), "not JSON"),
        (lambda h: h.answer(b'{"type": "script"}'), "not oEmbed"),
        (lambda h: h.answer(b"gone", "text/plain", status=404), "answered HTTP 404"),
        (lambda h: h.answer(b"", status=302, headers=[("Location", "http://169.254.169.254/latest/")]), "private"),
        (lambda h: h.answer(b"", status=302, headers=[("Location", "http://localhost/admin/")]), "private"),
        (lambda h: h.answer(b"", status=302, headers=[("Location", "http://127.0.0.1:6379/")]), "port 6379"),
        (lambda h: h.answer(b"", status=302, headers=[("Location", "file:///etc/passwd")]), "not a web address"),
        (lambda h: h.answer(b"", status=302, headers=[("Location", "/oembed")]), "more than 3 redirects"),
        (lambda h: h.answer(b"", status=302, headers=[("Location", "http://[::1/x")]), "not a web address"),
        (lambda h: h.answer(json.dumps(oembed(width=1)).encode().replace(b'"width": 1', b'"width": 1e999')), "number"),
        (lambda h: h.answer(json.dumps(oembed(type=["video"])).encode()), "not oEmbed"),
        (lambda h: h.answer(json.dumps(oembed(html="<p>a\x00b</p>")).encode()), "not text"),
        (lambda h: h.answer(json.dumps(oembed(title="Flood\ud800")).encode()), "not text"),
        (lambda h: h.answer(json.dumps(oembed(author_name="a\x00b")).encode()), "not text"),
    ],
    ids=[
        "timeout",
        "oversize",
        "not-json",
        "not-oembed",
        "http-error",
        "metadata",
        "localhost",
        "port",
        "file",
        "loop",
        "malformed-redirect",
        "infinite-width",
        "type-not-a-string",
        "nul-in-html",
        "lone-surrogate-in-title",
        "nul-in-author",
    ],
)
def test_a_provider_that_fails_leaves_a_plain_link_and_says_why(stub, route, error, django_capture_on_commit_callbacks):
    Stub.routes["/oembed"] = route
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")

    embed.refresh_from_db()
    assert embed.status == Embed.Status.FAILED
    assert error in embed.error
    assert embed.url == "https://video.example/watch/42" and not embed.html and not embed.frame_url
    assert time.monotonic() - started < 3


def test_a_provider_sending_a_byte_at_a_time_is_cut_off_at_the_deadline(stub):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        for _ in range(40):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)

    Stub.routes["/slow"] = trickle
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        fetch(f"{stub}/slow", max_bytes=1024)
    assert time.monotonic() - started < 1.6


def test_an_answer_nested_a_hundred_thousand_deep_leaves_a_plain_link(
    stub, settings, django_capture_on_commit_callbacks
):
    settings.EMBED_FETCH_MAX_BYTES = 512 * 1024  # the default: 200 KB of brackets is within it
    Stub.routes["/oembed"] = lambda h: h.answer(b'{"type": "video", "html": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")

    embed.refresh_from_db()
    assert embed.status == Embed.Status.FAILED and "not JSON we take" in embed.error


def test_a_provider_sending_its_status_line_and_headers_a_byte_at_a_time_is_cut_off_at_the_deadline(
    stub, django_capture_on_commit_callbacks
):
    def trickle(handler):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Padding: slow\r\n" * 20
        try:
            for byte in head:  # 0.05 s a byte: some 20 s for the lot, one read at a time well within 1 s
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass  # the fetcher has hung up

    Stub.routes["/oembed"] = trickle
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")

    embed.refresh_from_db()
    assert embed.status == Embed.Status.FAILED and "no answer within 1 s" in embed.error
    assert time.monotonic() - started < 1.6


def test_a_tls_server_that_never_answers_the_handshake_is_cut_off_at_the_deadline(settings):
    import socket

    listener = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel does) and never says a word
    port = listener.getsockname()[1]
    settings.EMBED_FETCH_ALLOW = [f"127.0.0.1:{port}"]
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="no answer within 1 s"):
            fetch(f"https://127.0.0.1:{port}/oembed", max_bytes=1024, timeout=1)
    finally:
        listener.close()
    assert time.monotonic() - started < 1.6


def test_a_name_that_takes_long_to_resolve_is_given_up_at_the_deadline(monkeypatch):
    import socket

    resolve = socket.getaddrinfo

    def slow(*args, **kwargs):
        time.sleep(3)  # a resolver that answers late
        return resolve("127.0.0.1", 80)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        fetch("https://slow-dns.example/oembed", max_bytes=1024, timeout=1)
    assert time.monotonic() - started < 1.6


def test_the_providers_markup_is_kept_only_as_markup_and_never_as_a_direct_frame_when_it_scripts(
    stub, django_capture_on_commit_callbacks
):
    Stub.routes["/oembed"] = serve_json(oembed(type="rich", html=HOSTILE, title="<script>alert(3)</script>"))
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")

    embed.refresh_from_db()
    assert embed.status == Embed.Status.READY
    assert embed.html == HOSTILE  # for the sandboxed frame of its own only
    assert embed.frame_url == ""  # scripted markup is never loaded as the player's frame


def test_a_frame_from_another_origin_than_the_providers_is_not_taken_as_its_player(
    stub, django_capture_on_commit_callbacks
):
    html = '<iframe src="https://evil.example/embed/42"></iframe>'
    Stub.routes["/oembed"] = serve_json(oembed(html=html, thumbnail_url="http://10.0.0.1/thumb.jpg"))
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")

    embed.refresh_from_db()
    assert embed.status == Embed.Status.READY and embed.frame_url == ""
    assert embed.thumbnail is None  # a thumbnail on a private address is not fetched; the embed stands without


def test_a_link_from_a_site_not_on_the_list_stays_a_link_unless_discovery_is_on(
    stub, settings, django_capture_on_commit_callbacks
):
    page = f"{stub}/story"
    assert embed_for_url(page) is None
    assert provider_for("https://example.org/watch?v=dQw4w9WgXcQ") is None
    assert Stub.seen == []

    settings.EMBED_DISCOVERY = True
    Stub.routes["/story"] = lambda h: h.answer(
        f'<html><head><link rel="alternate" type="application/json+oembed" href="/found?url={page}">'.encode(),
        "text/html",
    )
    Stub.routes["/found"] = serve_json(oembed(type="rich", html="<blockquote>Found</blockquote>"))
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url(page)

    embed.refresh_from_db()
    assert embed.status == Embed.Status.READY and embed.provider == ""
    assert embed.html == "<blockquote>Found</blockquote>"
    assert Stub.seen == ["/story", f"/found?url={page}"]


def test_facebook_and_instagram_without_an_access_token_stay_links_without_asking(
    settings, django_capture_on_commit_callbacks
):
    settings.EMBED_META_TOKEN = ""
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://www.instagram.com/p/C0urierPost/")

    embed.refresh_from_db()
    assert embed.provider == "instagram" and embed.status == Embed.Status.FAILED
    assert "access token (EMBED_META_TOKEN)" in embed.error


@pytest.mark.parametrize(
    ("url", "frame"),
    [
        (
            "https://www.openstreetmap.org/#map=15/52.20500/0.11900",
            "https://www.openstreetmap.org/export/embed.html?bbox=",
        ),
        ("https://www.openstreetmap.org/?mlat=52.205&mlon=0.119", "https://www.openstreetmap.org/export/embed.html?"),
        (
            "https://www.google.com/maps/place/Kingsmere+Town+Hall",
            "https://www.google.com/maps?q=Kingsmere%20Town%20Hall",
        ),
        ("https://maps.google.com/?q=52.205,0.119", "https://www.google.com/maps?q=52.205,0.119&output=embed"),
    ],
)
def test_map_links_become_frames_without_any_fetch(url, frame, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url(url)

    embed.refresh_from_db()
    assert embed.status == Embed.Status.READY
    assert embed.frame_url.startswith(frame)
    assert embed.frame_origins() <= {"https://www.openstreetmap.org", "https://www.google.com"}


def test_a_map_link_with_no_place_in_it_stays_a_link(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://www.openstreetmap.org/about")

    embed.refresh_from_db()
    assert embed.status == Embed.Status.FAILED and "not a map link" in embed.error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://0.0.0.0/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::7f00:1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:a00:1::]/",
        "http://[fd00::1]/",
        "http://224.0.0.1/",
        "https://localhost/",
    ],
)
def test_no_private_reserved_or_loopback_address_is_ever_fetched(url):
    with pytest.raises(FetchError, match="private or reserved network"):
        fetch(url, max_bytes=1024, timeout=1)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2a00:1450:4009:80b::200e", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:8.8.8.8", True),
        ("::7f00:1", False),  # IPv4-compatible: 127.0.0.1
        ("::a9fe:a9fe", False),  # 169.254.169.254
        ("::808:808", True),
        ("64:ff9b::7f00:1", False),  # NAT64: 127.0.0.1
        ("64:ff9b::a00:1", False),  # 10.0.0.1
        ("64:ff9b::808:808", True),
        ("64:ff9b:1::a00:1", False),  # NAT64 for local use: the network's own translator
        ("64:ff9b:1:808:8:800::", False),
        ("2002:7f00:1::1", False),  # 6to4: 127.0.0.1
        ("2002:a9fe:a9fe::", False),  # 169.254.169.254
        ("2002:c0a8:101::1", False),  # 192.168.1.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo (client 127.0.0.1)
        ("fe80::1%eth0", False),
    ],
)
def test_an_ipv6_address_carrying_an_ipv4_address_is_judged_by_the_ipv4_address(address, public):
    assert address_is_public(address) is public


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/", "file:///etc/passwd", "gopher://example.org/", "https://user:secret@example.org/"],
)
def test_only_plain_web_addresses_are_fetched(url):
    with pytest.raises(FetchError):
        fetch(url, max_bytes=1024, timeout=1)


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube"),
        ("https://youtu.be/dQw4w9WgXcQ?t=10", "youtube"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "youtube"),
        ("https://vimeo.com/76979871", "vimeo"),
        ("https://x.com/kingsmere/status/1790000000000000000", "x"),
        ("https://twitter.com/kingsmere/status/1790000000000000000", "x"),
        ("https://www.instagram.com/p/C0urierPost/", "instagram"),
        ("https://www.facebook.com/kingsmerecourier/posts/pfbid02abc", "facebook"),
        ("https://www.tiktok.com/@kingsmere/video/7300000000000000000", "tiktok"),
        ("https://bsky.app/profile/kingsmere.bsky.social/post/3kabcdefghi2x", "bluesky"),
        ("https://mastodon.social/@kingsmere/111111111111111111", "mastodon"),
        ("https://soundcloud.com/kingsmere/council-meeting", "soundcloud"),
        ("https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk", "spotify"),
        ("https://datawrapper.dwcdn.net/AbC12/3/", "datawrapper"),
        ("https://public.flourish.studio/visualisation/1234567/", "flourish"),
        ("https://www.google.com/maps/place/Kingsmere", "google-maps"),
        ("https://www.openstreetmap.org/#map=15/52.2/0.1", "openstreetmap"),
        ("https://example.org/watch?v=dQw4w9WgXcQ", None),
        ("http://www.youtube.com/watch?v=dQw4w9WgXcQ", None),  # only https links
        ("https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ", None),
    ],
)
def test_the_provider_table_knows_each_providers_links_and_no_others(url, slug):
    provider = provider_for(url)
    assert (provider.slug if provider else None) == slug


def fetches() -> int:
    return len([path for path in Stub.seen if path.startswith("/oembed")])


def later(seconds: float) -> None:
    """The clock moved on: every embed's next attempt is that much nearer."""
    from datetime import timedelta

    from django.db.models import F

    Embed.objects.exclude(next_attempt_at=None).update(
        next_attempt_at=F("next_attempt_at") - timedelta(seconds=seconds)
    )


def test_the_scheduler_queues_again_an_embed_whose_fetch_was_lost(stub, settings, monkeypatch):
    from embeds.tasks import queue_lost_embeds

    settings.EMBED_RETRY_SECONDS = 300
    Stub.routes["/oembed"] = serve_json(oembed())
    monkeypatch.setattr("embeds.services.enqueue", lambda *args: True)  # saved, but its task never runs
    lost = embed_for_url("https://video.example/watch/42")
    done = embed_for_url("https://video.example/watch/44")
    embed_resolve(done)
    later(100)
    recent = embed_for_url("https://video.example/watch/43")
    later(201)

    assert queue_lost_embeds() == 1  # the recent one's own task may still be on its way (tasks run at once here)

    statuses = dict(Embed.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: Embed.Status.READY, recent.pk: Embed.Status.PENDING, done.pk: Embed.Status.READY}


def test_a_failed_embed_is_fetched_again_a_few_times_further_apart_then_left_failed_until_staff_ask(
    stub, settings, django_capture_on_commit_callbacks
):
    from embeds.tasks import queue_lost_embeds

    settings.EMBED_RETRY_SECONDS, settings.EMBED_FETCH_ATTEMPTS = 60, 3
    Stub.routes["/oembed"] = lambda h: h.answer(b"busy", "text/plain", status=503)
    with django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")
    assert fetches() == 1

    pauses = []
    for _ in range(20):  # the scheduler, looking many times over hours
        embed.refresh_from_db()
        if embed.next_attempt_at is None:
            break
        pauses.append(round((embed.next_attempt_at - embed.fetched_at).total_seconds()))
        later(pauses[-1] - 5)
        assert queue_lost_embeds() == 0  # not yet
        later(5)
        queue_lost_embeds()

    embed.refresh_from_db()
    assert fetches() == 3 and pauses == [60, 120]
    assert embed.status == Embed.Status.FAILED and "HTTP 503" in embed.error and embed.next_attempt_at is None
    later(86_400)
    assert queue_lost_embeds() == 0 and fetches() == 3  # left failed, however long the scheduler looks

    with django_capture_on_commit_callbacks(execute=True):
        embed_refresh(embed)  # staff asked (the back office's "Fetch the selected embeds again")
    embed.refresh_from_db()
    assert fetches() == 4 and round((embed.next_attempt_at - embed.fetched_at).total_seconds()) == 60


def test_a_fetch_that_never_finishes_is_given_up_after_the_same_number_of_attempts(
    stub, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from embeds.tasks import queue_lost_embeds

    settings.EMBED_RETRY_SECONDS, settings.EMBED_FETCH_ATTEMPTS = 60, 3
    started = []

    def killed(*args, **kwargs):
        started.append(args)
        raise SystemExit("the worker is killed mid-fetch")

    monkeypatch.setattr("embeds.services.fetch", killed)
    with pytest.raises(SystemExit), django_capture_on_commit_callbacks(execute=True):
        embed = embed_for_url("https://video.example/watch/42")
    for _ in range(20):
        later(3600)
        try:
            queue_lost_embeds()
        except SystemExit:
            pass

    embed = Embed.objects.get()
    assert len(started) == 3
    assert embed.status == Embed.Status.FAILED and "3 attempts" in embed.error
