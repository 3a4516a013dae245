"""A live update's body has the story's blocks and embeds: pictures, galleries, tables, fact boxes and provider
links, shown in the page and the refresh endpoint at a cost that does not grow with the updates; the page's policy
lets in the frames of the embeds its updates hold, kept as updates are posted and deleted."""

import re
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from embeds.models import Embed
from live.models import LiveBlog, LiveUpdate
from live.services import _frames_kept, live_update_deleted
from tests.factories import AuthorFactory, ImageFactory
from tests.live.test_live_blog import post

pytestmark = pytest.mark.django_db

VIDEO = "https://www.youtube.com/watch?v=Kx7Rf2pQm0A"
MAP = "https://www.openstreetmap.org/#map=15/52.20500/0.11900"


def frame_src(response) -> list[str]:
    parts = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in parts}.get("frame-src", [])


def test_an_update_shows_its_picture_table_and_a_ready_embed_in_the_page_and_the_endpoint(reporters, live, story):
    (client, author), image = reporters[0], ImageFactory(alt_text="Sandbags at the door of the Crown")
    Embed.objects.create(url=VIDEO, provider="youtube", status=Embed.Status.READY, title="Water rising")
    body = (
        f'<p>The water is at the pub.</p><figure data-image="{image.pk}"><figcaption>The Crown, 2pm</figcaption>'
        '</figure><table data-caption="River levels"><tbody><tr><th><p>Gauge</p></th><th><p>Metres</p></th></tr>'
        f'<tr><td><p>Kingsmere</p></td><td><p>4.2</p></td></tr></tbody></table><p><a href="{VIDEO}">{VIDEO}</a></p>'
    )
    assert post(client, live, author, body).status_code == 302
    [update] = LiveUpdate.objects.all()

    for url in (story.get_absolute_url(), "/articles/flood-live/live/"):
        html = Client().get(url).content.decode()
        item = html[html.index(f'id="update-{update.pk}"') :]
        assert 'alt="Sandbags at the door of the Crown"' in item and "The Crown, 2pm" in item
        assert f'<caption id="table-u{update.pk}-1-caption">River levels</caption>' in item
        assert 'class="embed"' in item and "Load content from YouTube" in item


def test_the_pages_policy_lets_in_the_frames_its_updates_embeds_need_kept_as_updates_come_and_go(
    reporters, live, story, editor
):
    client, author = reporters[0]
    page = Client()
    assert frame_src(page.get(story.get_absolute_url())) in ([], ["'none'"])

    post(client, live, author, f"<p>Map of the closures:</p><p>{MAP}</p>")
    assert LiveBlog.objects.get().frame_origins == ["https://www.openstreetmap.org"]
    assert "https://www.openstreetmap.org" in frame_src(page.get(story.get_absolute_url()))

    post(client, live, author, f"<p>{VIDEO}</p>")
    assert set(LiveBlog.objects.get().frame_origins) >= {
        "https://www.openstreetmap.org",
        "https://www.youtube-nocookie.com",
    }

    with_map = LiveUpdate.objects.get(body__contains="openstreetmap")
    response = editor.post(f"/admin/live/liveupdate/{with_map.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert "https://www.openstreetmap.org" not in LiveBlog.objects.get().frame_origins
    after = page.get(story.get_absolute_url())
    assert (
        "https://www.openstreetmap.org" not in frame_src(after) and "Map of the closures" not in after.content.decode()
    )


@pytest.mark.parametrize("n", [1, 12])
def test_updates_with_pictures_galleries_and_embeds_cost_the_same_however_many(
    django_assert_num_queries, story, live, n
):
    author, images = AuthorFactory(), [ImageFactory() for _ in range(3)]
    Embed.objects.create(url=VIDEO, provider="youtube", status=Embed.Status.READY, title="Water rising")
    gallery = '<div data-gallery="">' + "".join(f'<figure data-image="{i.pk}"></figure>' for i in images) + "</div>"
    body = f'<figure data-image="{images[0].pk}"></figure>{gallery}<p>{VIDEO}</p>'
    LiveUpdate.objects.bulk_create(LiveUpdate(live_blog=live, author=author, body=body) for _ in range(n))

    with django_assert_num_queries(4):  # the story and blog, the updates and authors, their pictures, their embeds
        response = Client().get("/articles/flood-live/live/")
    html = response.content.decode()
    assert html.count('class="gallery"') == n and html.count('class="embed"') == n
    assert html.count('class="body-figure"') == n


def test_a_providers_link_in_an_update_is_registered_to_resolve_like_a_storys(
    reporters, live, django_capture_on_commit_callbacks
):
    client, author = reporters[0]
    with django_capture_on_commit_callbacks(execute=True):
        post(client, live, author, f"<p>{MAP}</p>")
    [embed] = Embed.objects.all()
    assert embed.url == MAP and embed.status == Embed.Status.READY  # a map needs no fetch


def test_live_blogs_from_before_their_frames_were_kept_get_them_when_the_site_is_migrated(reporters, live, story):
    from importlib import import_module

    from django.apps import apps

    backfill = import_module("live.migrations.0004_backfill_frame_origins").backfill
    (client, author), _ = reporters
    post(client, live, author, f"<p>{VIDEO}</p>")
    post(client, live, author, f"<p>{MAP}</p>")
    LiveBlog.objects.update(frame_origins=[])  # as the blog was before 0003
    assert "https://www.youtube-nocookie.com" not in frame_src(Client().get(story.get_absolute_url()))

    backfill(apps, None)

    sources = frame_src(Client().get(story.get_absolute_url()))
    assert "https://www.youtube-nocookie.com" in sources and "https://www.openstreetmap.org" in sources


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking under real concurrency: PostgreSQL only")
def test_an_update_posted_while_another_is_deleted_keeps_its_frames(reporters, live):
    (client, author), _ = reporters
    post(client, live, author, f"<p>{VIDEO}</p>")
    doomed = LiveUpdate.objects.get()
    locked, deleting = threading.Event(), threading.Event()
    errors = []

    def posting():  # as live_update_save does: the blog locked, the update saved, the frames kept, then commit
        try:
            with transaction.atomic():
                LiveBlog.objects.select_for_update().get(pk=live.pk)
                locked.set()
                deleting.wait(5)
                time.sleep(0.3)  # the deletion reaches the blog's frames while this has not committed
                LiveUpdate.objects.create(live_blog=live, author=author, body=f"<p>{MAP}</p>")
                _frames_kept(live.pk)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    def deleting_one():  # as the back office's delete does
        try:
            locked.wait(5)
            with transaction.atomic():
                doomed.delete()
                deleting.set()
                live_update_deleted(update=doomed)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=posting), threading.Thread(target=deleting_one)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert LiveBlog.objects.get().frame_origins == ["https://www.openstreetmap.org"]


def test_each_update_carries_a_digest_of_its_markup_that_changes_only_with_it(reporters, live, story):
    from embeds.services import embed_resolve

    client, author = reporters[0]
    post(client, live, author, "<p>Sandbags at the Corn Exchange.</p>")
    post(client, live, author, f"<p>{MAP}</p>")
    sandbags, closures = LiveUpdate.objects.order_by("pk")
    embed = Embed.objects.get(url=MAP)  # registered by the post, waiting for the worker

    def sums():
        html = Client().get("/articles/flood-live/live/").content.decode()
        return dict(re.findall(r'id="update-(\d+)" data-sum="([0-9a-f]{16})"', html))

    before = sums()
    embed_resolve(embed)  # the worker's task: the map's link becomes its facade
    after = sums()

    assert set(before) == set(after) == {str(sandbags.pk), str(closures.pk)}
    assert after[str(sandbags.pk)] == before[str(sandbags.pk)]
    assert after[str(closures.pk)] != before[str(closures.pk)]
    assert Client().get(story.get_absolute_url()).content.decode().count('data-sum="') == 2  # the page's own list
