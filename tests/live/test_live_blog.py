"""Live coverage: an editor opens a live blog on a published story, the journalists on it post updates that go out
at once (kept as revisions, in the admin log), readers see them newest first with pins on top and a permalink each,
through the page cache and a small refresh endpoint; an editor closes it with a summary."""

import json
import re
import time
from datetime import datetime
from xml.etree import ElementTree

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import Client
from reversion.models import Version

from articles.models import Article
from live.models import LiveBlog, LiveUpdate
from live.services import LiveError, live_update_save
from tests.factories import ArticleFactory, AuthorFactory
from tests.live.conftest import staff

pytestmark = pytest.mark.django_db

BLOGS, UPDATES = "/admin/live/liveblog/", "/admin/live/liveupdate/"


def post(client, live_blog, author, body, headline="", pinned=False):
    data = {"live_blog": live_blog.pk, "author": author.pk, "headline": headline, "body": body}
    if pinned:
        data["pinned"] = "on"
    return client.post(f"{UPDATES}add/", data)


def json_ld(html: str) -> dict:
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


def test_an_editor_opens_a_live_blog_only_on_a_published_story(editor, story):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    refused = editor.post(f"{BLOGS}add/", {"article": draft.pk})
    assert refused.status_code == 200 and "Select a valid choice" in refused.text
    assert editor.post(f"{BLOGS}add/", {"article": story.pk}).status_code == 302

    live_blog = LiveBlog.objects.get()
    assert live_blog.article == story and live_blog.is_open and live_blog.opened_by.username == "ed"
    again = editor.post(f"{BLOGS}add/", {"article": story.pk})
    assert again.status_code == 200 and LiveBlog.objects.count() == 1  # one live blog a story


def test_two_journalists_post_updates_that_go_out_at_once_newest_first_pins_on_top(client, reporters, live, story):
    (ana, ana_author), (ben, ben_author) = reporters
    assert post(ana, live, ana_author, "<p>Water is over the kerb on Quay Street.</p>").status_code == 302
    time.sleep(0.01)
    assert post(ben, live, ben_author, "<p>Sandbags at the Corn Exchange.</p>", headline="Sandbags").status_code == 302
    time.sleep(0.01)
    assert post(ana, live, ana_author, "<p>Where to get help: the library.</p>", pinned=True).status_code == 302

    html = client.get(story.get_absolute_url()).content.decode()
    order = re.findall(r'<li class="live-update[^"]*" id="update-(\d+)"', html)
    pinned, first, second = LiveUpdate.objects.order_by("published_at")[2], *LiveUpdate.objects.order_by("-pk")[1:]
    assert order == [str(pinned.pk), str(first.pk), str(second.pk)]  # pinned, then newest first
    assert f'<a href="#update-{first.pk}"' in html  # each its own permalink
    assert '<p class="live-badge"><span>Live</span>' in html
    assert "Ana Reporter" in html and "Ben Reporter" in html
    assert '<h3 class="live-update__headline">Sandbags</h3>' in html
    assert 'data-live-refresh="/articles/flood-live/live/"' in html
    # Each is kept as a revision and in the admin log, with who posted it.
    for update in LiveUpdate.objects.all():
        [version] = Version.objects.get_for_object(update)
        assert version.revision.user == update.created_by
        assert LogEntry.objects.filter(object_id=str(update.pk), action_flag=1).exists()


def test_an_update_shows_at_once_on_the_cached_page_the_endpoint_and_the_feed(client, reporters, live, story):
    (ana, ana_author), _ = reporters
    page, endpoint = story.get_absolute_url(), "/articles/flood-live/live/"
    assert "Bridge closed" not in client.get(page).content.decode()
    assert client.get(endpoint).status_code == 200
    assert client.get(page).get("X-Page-Cache") == "hit"

    post(ana, live, ana_author, "<p>Abbey Bridge closed to traffic.</p>", headline="Bridge closed")

    assert "Bridge closed" in client.get(page).content.decode()
    assert "Bridge closed" in client.get(endpoint).content.decode()
    update = LiveUpdate.objects.get()
    feed = ElementTree.fromstring(client.get("/feeds/atom.xml").content)  # noqa: S314 (our own server's answer)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    [entry] = [e for e in feed.findall("a:entry", ns) if e.find("a:title", ns).text == story.headline]
    assert datetime.fromisoformat(entry.find("a:updated", ns).text) >= update.published_at.replace(microsecond=0)
    sitemap = client.get("/sitemap-news.xml").content.decode()
    lastmod = re.search(r"<loc>[^<]*flood-live/</loc>\s*<lastmod>([^<]+)</lastmod>", sitemap)
    assert (
        lastmod
        and lastmod[1][:16] == update.published_at.astimezone(Article.objects.get().updated_at.tzinfo).isoformat()[:16]
    )


def test_the_json_ld_is_a_live_blog_posting_with_each_update(client, reporters, live, story, editor):
    (ana, ana_author), (ben, ben_author) = reporters
    post(ana, live, ana_author, "<p>Water is over the kerb.</p>")
    post(ben, live, ben_author, "<p>Sandbags at the Corn Exchange.</p>", headline="Sandbags")

    data = json_ld(client.get(story.get_absolute_url()).content.decode())
    assert data["@type"] == "LiveBlogPosting" and data["headline"] == story.headline
    assert data["coverageStartTime"] == LiveBlog.objects.get().opened_at.isoformat()
    assert "coverageEndTime" not in data
    updates = data["liveBlogUpdate"]
    assert [u["@type"] for u in updates] == ["BlogPosting", "BlogPosting"]
    assert updates[0]["headline"] == "Sandbags" and updates[0]["author"]["name"] == "Ben Reporter"
    assert updates[1]["articleBody"] == "Water is over the kerb." and updates[1]["url"].endswith(
        f"/articles/flood-live/#update-{LiveUpdate.objects.get(author=ana_author).pk}"
    )

    editor.post(f"{BLOGS}{live.pk}/change/", {"summary": "<p>The river peaked at 6pm.</p>", "close": "on"})
    closed = json_ld(client.get(story.get_absolute_url()).content.decode())
    assert closed["coverageEndTime"] == LiveBlog.objects.get().closed_at.isoformat()


def test_an_updates_json_ld_text_reads_its_table_and_fact_box_as_words_apart(client, reporters, live, story):
    (ana, ana_author), _ = reporters
    post(
        ana,
        live,
        ana_author,
        '<table data-caption="River levels"><tbody><tr><th><p>Gauge</p></th><th><p>Metres</p></th></tr>'
        "<tr><td><p>Kingsmere</p></td><td><p>3.2</p></td></tr></tbody></table>"
        '<aside class="factbox" data-title="If you are flooded"><p>Call 0800 &amp; stay upstairs.</p></aside>',
    )

    [update] = json_ld(client.get(story.get_absolute_url()).content.decode())["liveBlogUpdate"]

    assert update["articleBody"] == (
        "River levels. Gauge Metres Kingsmere 3.2 If you are flooded. Call 0800 & stay upstairs."
    )
    assert update["headline"] == "River levels. Gauge Metres Kingsmere 3.2 If you are flooded. Call 0800…"


def test_an_editor_closes_it_with_a_summary_and_then_nobody_posts(client, reporters, live, story, editor):
    (ana, ana_author), _ = reporters
    post(ana, live, ana_author, "<p>Water is over the kerb.</p>")

    refused = editor.post(f"{BLOGS}{live.pk}/change/", {"summary": "", "close": "on"})
    assert refused.status_code == 200 and "Write a short summary" in refused.text
    closed = editor.post(f"{BLOGS}{live.pk}/change/", {"summary": "<p>The river peaked at 6pm.</p>", "close": "on"})
    assert closed.status_code == 302

    html = client.get(story.get_absolute_url()).content.decode()
    assert '<p class="live-badge">' not in html and "data-live-refresh" not in html and "live.js" not in html
    assert "This live coverage ended" in html and "The river peaked at 6pm." in html
    assert "Water is over the kerb." in html  # the updates stay
    late = post(ana, live, ana_author, "<p>One more.</p>")
    assert late.status_code == 200 and LiveUpdate.objects.count() == 1


def test_only_the_journalists_on_the_story_post_to_it_forged_or_not(reporters, live, story):
    outsider, outsider_user = staff("Journalist", "olly")
    outsider_author = AuthorFactory(user=outsider_user)

    form = outsider.get(f"{UPDATES}add/")
    assert story.headline not in form.text  # not offered
    forged = post(outsider, live, outsider_author, "<p>Fake news.</p>")
    assert forged.status_code == 200 and "Select a valid choice" in forged.text
    assert not LiveUpdate.objects.exists()
    assert outsider.get(f"{BLOGS}add/").status_code == 403  # opening and closing is for editors
    assert outsider.post(f"{BLOGS}{live.pk}/change/", {"summary": "x", "close": "on"}).status_code == 403
    assert LiveBlog.objects.get().is_open


def test_a_journalist_posts_only_under_their_own_name_or_a_byline_of_the_story(reporters, live, story, editor):
    (ana, ana_author), (_ben, ben_author) = reporters
    elsewhere = AuthorFactory(name="Olive Columnist")  # writes for the paper, not on this story

    form = ana.get(f"{UPDATES}add/").text
    assert "Ben Reporter" in form and "Olive Columnist" not in form  # not offered
    forged = post(ana, live, elsewhere, "<p>Quoted as someone else.</p>", headline="Forged")
    assert forged.status_code == 200 and "Forged" in forged.text  # refused, and what was typed is kept
    assert not LiveUpdate.objects.exists()
    assert post(ana, live, ben_author, "<p>Filed for Ben from the scene.</p>").status_code == 302
    assert LiveUpdate.objects.get().author == ben_author
    assert post(editor, live, elsewhere, "<p>A columnist's view.</p>").status_code == 302  # editors sign anyone

    post(ana, live, ana_author, "<p>Mine.</p>")
    mine = LiveUpdate.objects.get(author=ana_author)
    changed = ana.post(f"{UPDATES}{mine.pk}/change/", {"author": elsewhere.pk, "headline": "", "body": "<p>Mine.</p>"})
    assert changed.status_code == 200 and LiveUpdate.objects.get(pk=mine.pk).author == ana_author


def test_the_service_refuses_an_update_under_a_name_not_on_the_story(reporters, live):
    (_ana, ana_author), _ = reporters
    user = ana_author.user
    with pytest.raises(LiveError):
        live_update_save(update=LiveUpdate(live_blog=live, author=AuthorFactory(), body="<p>x</p>"), user=user)
    assert not LiveUpdate.objects.exists()


def test_a_closed_live_blog_keeps_its_summary(reporters, live, editor):
    closed = editor.post(f"{BLOGS}{live.pk}/change/", {"summary": "<p>The river peaked at 6pm.</p>", "close": "on"})
    assert closed.status_code == 302

    emptied = editor.post(f"{BLOGS}{live.pk}/change/", {"summary": "<p></p>"})
    assert emptied.status_code == 200 and "A closed live blog needs its summary" in emptied.text
    assert "The river peaked at 6pm." in LiveBlog.objects.get().summary
    with pytest.raises(ValidationError):
        LiveBlog(pk=live.pk, article=live.article, closed_at=live.opened_at, summary="").full_clean()


def test_the_updates_are_sanitised_and_escaped(client, reporters, live, story):
    (ana, ana_author), _ = reporters
    post(ana, live, ana_author, '<p>Safe <img src=x onerror="alert(1)"><script>alert(2)</script></p>', headline="<b>")

    html = client.get(story.get_absolute_url()).content.decode()
    assert "onerror" not in html and "alert(2)" not in html and "&lt;b&gt;" in html


def test_the_refresh_endpoint_answers_only_for_a_published_live_blog(client, story, live):
    plain = ArticleFactory(slug="not-live")
    draft = ArticleFactory(slug="draft-live", status=Article.Status.DRAFT, published_at=None)
    LiveBlog.objects.create(article=draft)
    assert client.get("/articles/flood-live/live/").status_code == 200
    assert client.get(f"/articles/{plain.slug}/live/").status_code == 404
    assert client.get("/articles/draft-live/live/").status_code == 404
    assert client.get("/articles/no-such-story/live/").status_code == 404
    assert client.post("/articles/flood-live/live/").status_code == 405


@pytest.mark.parametrize("n", [1, 20])
def test_the_refresh_endpoint_costs_two_queries_however_many_updates(django_assert_num_queries, story, live, n):
    author = AuthorFactory()
    LiveUpdate.objects.bulk_create(LiveUpdate(live_blog=live, author=author, body=f"<p>{i}</p>") for i in range(n))

    with django_assert_num_queries(2):  # the story with its live blog, and the updates with their authors
        response = Client().get("/articles/flood-live/live/")
    assert response.content.decode().count('class="live-update"') == n


@pytest.mark.parametrize("n", [1, 20])
def test_a_live_blogs_page_costs_one_query_more_than_a_story_however_many_updates(
    django_assert_num_queries, story, live, n
):
    author = AuthorFactory()
    LiveUpdate.objects.bulk_create(LiveUpdate(live_blog=live, author=author, body=f"<p>{i}</p>") for i in range(n))

    # As a story (tests/articles/test_pages.py), and the updates with their authors.
    with django_assert_num_queries(3):
        response = Client().get(story.get_absolute_url())
    assert response.content.decode().count('class="live-update"') == n
