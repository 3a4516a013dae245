"""Media on S3-compatible object storage: moto's standalone server on loopback, started (and killed, by its
pid) here; renditions made by a real worker process on a real broker; pages and feeds pointing at the bucket."""

import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import boto3
import feedparser
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from articles import models as article_models
from articles.models import Image
from newsroom.settings import s3_media_settings
from tests.factories import ArticleFactory, image_bytes
from tests.workers import Workers, free_port, publishing_to, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.workers]

KEYS = {"S3_ACCESS_KEY_ID": "newsroom-test", "S3_SECRET_ACCESS_KEY": "newsroom-test-secret"}


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 server in a process of its own, on a free port of loopback."""
    executable = shutil.which("moto_server", path=os.path.dirname(sys.executable))
    if executable is None:
        pytest.fail("moto_server is not installed (requirements-dev.txt)")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    process = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)], stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"

    def answers():
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)  # noqa: S310 (our loopback server)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    try:
        wait_for(answers, timeout=30, what="the S3 server")
        yield endpoint
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(10)


@pytest.fixture
def bucket(s3_server, settings):
    """A bucket of this test's own, as the site's media storage (here and in the workers' environment)."""
    environ = {
        "S3_BUCKET": f"newsroom-{uuid.uuid4().hex[:12]}",
        "S3_ENDPOINT_URL": s3_server,
        "S3_DEFAULT_ACL": "public-read",
        **KEYS,
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=environ["S3_BUCKET"])
    storage, media_url = s3_media_settings(environ)
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.MEDIA_URL = media_url
    article_models._renditions.cache_clear()  # addresses worked out for the file system's storage
    yield environ | {"client": client, "media_url": media_url}
    article_models._renditions.cache_clear()


@pytest.fixture
def workers(tmp_path, bucket):
    group = Workers("redis", tmp_path, free_port(), **{k: v for k, v in bucket.items() if k.startswith("S3_")})
    group.start(concurrency=1)
    yield group
    group.stop_all()


def stored(bucket) -> set[str]:
    listing = bucket["client"].list_objects_v2(Bucket=bucket["S3_BUCKET"])
    return {item["Key"] for item in listing.get("Contents", [])}


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (the test bucket on loopback)
        return response.status, response.headers["Content-Type"], response.read()


def test_an_upload_goes_to_the_bucket_and_a_worker_makes_its_renditions_there(admin_client, bucket, workers, client):
    with publishing_to(workers):
        response = admin_client.post(
            "/admin/articles/image/add/",
            {"file": SimpleUploadedFile("quay.jpg", image_bytes(size=(1100, 700))), "alt_text": "The quay at dusk"},
        )
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.file.name in stored(bucket)  # the original is in the bucket, none of it on this server's disk

    wait_for(
        lambda: Image.objects.get().built_widths == [320, 640, 960, 1100],
        timeout=60,
        what="the worker's renditions",
        workers=workers,
    )
    image.refresh_from_db()
    renditions = image.renditions("webp") + image.renditions("jpg")
    assert {r.url.removeprefix(bucket["media_url"]) for r in renditions} <= stored(bucket)

    article = ArticleFactory(lead_image=image)
    html = client.get(article.get_absolute_url()).content.decode()
    for rendition in renditions:
        assert rendition.url.startswith(bucket["media_url"]) and rendition.url in html
        status, content_type, body = fetch(rendition.url)  # as a reader's browser would
        assert status == 200 and content_type == rendition.content_type and body
    assert "/media/" not in html

    feed = feedparser.parse(client.get("/feeds/rss.xml").content)
    [enclosure] = feed.entries[0].enclosures
    assert enclosure.href.startswith(bucket["media_url"]) and enclosure.type == "image/jpeg"
    assert fetch(enclosure.href)[0] == 200


def test_before_the_worker_has_run_pages_show_the_original_from_the_bucket(bucket, client):
    from articles.services import image_create

    image = image_create(file=SimpleUploadedFile("pier.jpg", image_bytes(size=(900, 500))), alt_text="The pier")
    Image.objects.filter(pk=image.pk).update(built_widths=[])  # as if its task had not run yet
    article = ArticleFactory(lead_image=Image.objects.get(pk=image.pk))

    html = client.get(article.get_absolute_url()).content.decode()

    original = f"{bucket['media_url']}{image.file.name}"
    assert f'src="{original}"' in html
    assert fetch(original)[0] == 200


def test_deleting_an_image_removes_the_original_and_its_renditions_from_the_bucket(admin_client, bucket, workers):
    with publishing_to(workers):
        admin_client.post(
            "/admin/articles/image/add/",
            {"file": SimpleUploadedFile("mill.png", image_bytes("PNG", size=(700, 400))), "alt_text": "The mill"},
        )
        image = Image.objects.get()
        wait_for(lambda: Image.objects.get().built_widths, timeout=60, what="the renditions", workers=workers)
        assert len(stored(bucket)) == 1 + 2 * 3  # the original; WebP and PNG at 320, 640 and 700 pixels

        response = admin_client.post(f"/admin/articles/image/{image.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302

    wait_for(lambda: not stored(bucket), timeout=60, what="the files to be removed", workers=workers)
