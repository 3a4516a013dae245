"""Embeds resolved as in production: a real worker process on each real broker takes the job a story's save
queues, asks the provider (a stub on loopback, found by discovery, which settings take from the environment as a
worker's do), copies the thumbnail into the library, and the story shows the facade."""

import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from articles.models import Image
from embeds.models import Embed
from tests.embeds.test_resolving import Stub, oembed, serve_json
from tests.factories import ArticleFactory, image_bytes
from tests.workers import Workers, broker_param, free_port, publishing_to, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.workers]

BROKERS = [broker_param(name) for name in ("embedded", "redis", "rabbitmq")]


@pytest.fixture
def provider(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    page = f"{base}/report/7"
    Stub.seen = []
    Stub.routes = {
        "/report/7": lambda handler: handler.answer(
            f'<html><head><link rel="alternate" type="application/json+oembed" href="/oembed?url={page}">'.encode(),
            "text/html",
        ),
        "/oembed": serve_json(
            oembed(type="rich", html="<blockquote>Water at the door</blockquote>", thumbnail_url=f"{base}/thumb.jpg")
        ),
        "/thumb.jpg": lambda handler: handler.answer(image_bytes("JPEG", size=(480, 270)), "image/jpeg"),
    }
    settings.EMBED_DISCOVERY, settings.EMBED_FETCH_ALLOW = True, [base.removeprefix("http://")]
    yield page
    server.shutdown()
    server.server_close()


def embed_workers(broker: str, tmp_path, **env) -> Workers:
    """Workers configured from the environment as production's are, discovery on and the stub let through."""
    return Workers(
        broker,
        tmp_path,
        free_port(),
        EMBED_DISCOVERY="1",
        EMBED_FETCH_ALLOW=django_settings.EMBED_FETCH_ALLOW[0],
        **env,
    )


@pytest.mark.parametrize("broker", BROKERS)
def test_a_worker_resolves_a_link_saved_in_a_story_and_readers_get_the_facade(broker, provider, tmp_path):
    workers = embed_workers(broker, tmp_path, EMBED_FETCH_TIMEOUT="5")
    workers.start(concurrency=1)
    try:
        with publishing_to(workers):
            article = ArticleFactory(body=f"<p>The water came in at noon.</p><p>{provider}</p>")
        embed = wait_for(
            lambda: Embed.objects.filter(status=Embed.Status.READY).select_related("thumbnail").first(),
            timeout=90,
            what="a worker to resolve the embed",
            workers=workers,
        )
    finally:
        workers.stop_all()

    assert embed.url == provider and embed.html == "<blockquote>Water at the door</blockquote>"
    assert Stub.seen[:3] == ["/report/7", f"/oembed?url={provider}", "/thumb.jpg"]
    assert Path(django_settings.MEDIA_ROOT, embed.thumbnail.file.name).exists()
    html = Client().get(article.get_absolute_url()).content.decode()
    assert 'class="embed"' in html and f'href="{provider}"' in html


@pytest.mark.parametrize("broker", BROKERS)
def test_a_worker_killed_while_fetching_a_thumbnail_loses_nothing_and_leaves_one_copy(broker, provider, tmp_path):
    asked, answer = threading.Event(), threading.Event()

    def thumbnail_held(handler):  # the provider is slow: the worker is killed while it waits
        asked.set()
        if answer.wait(30):
            handler.answer(image_bytes("JPEG", size=(480, 270)), "image/jpeg")

    Stub.routes["/thumb.jpg"] = thumbnail_held
    workers = embed_workers(
        broker, tmp_path, EMBED_FETCH_TIMEOUT="10", EMBED_RETRY_SECONDS="1", CELERY_VISIBILITY_TIMEOUT="3"
    )
    worker = workers.start(concurrency=1)
    try:
        with publishing_to(workers):
            ArticleFactory(body=f"<p>{provider}</p>")
        wait_for(asked.is_set, timeout=90, what="the worker to ask for the thumbnail", workers=workers)
        workers.kill(worker)  # SIGKILL, by the pid this test started, mid-fetch
        answer.set()
        workers.start(concurrency=1)  # its scheduler queues the lost embed again
        embed = wait_for(
            lambda: Embed.objects.filter(status=Embed.Status.READY).select_related("thumbnail").first(),
            timeout=90,
            what="the embed to be fetched again and resolved",
            workers=workers,
        )
        time.sleep(3)  # a second delivery of the lost task (a broker that gives it back) has time to run too
    finally:
        workers.stop_all()

    embed.refresh_from_db()
    assert embed.status == Embed.Status.READY and embed.thumbnail is not None
    assert list(Image.objects.values_list("pk", flat=True)) == [embed.thumbnail_id]  # one copy, none unnamed
    assert Path(django_settings.MEDIA_ROOT, embed.thumbnail.file.name).exists()
