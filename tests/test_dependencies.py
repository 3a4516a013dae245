"""A change shows at once on every cached page that displays it, and leaves every other cached page in place
(newsroom/freshness.py, articles/dependencies.py): on the local-memory cache and on Redis."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from taggit.models import Tag

from articles.models import Article, Author, Image, Section
from articles.services import article_publish, article_save, article_unpublish
from newsroom import freshness
from tests.factories import ArticleFactory, AuthorFactory, BylineFactory, CorrectionFactory, ImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["local memory", "redis"])
def backend(request):
    if request.param == "redis":
        request.getfixturevalue("real_redis")
    return request.param


def story(headline, slug, section, author, tag, image, hours_ago=1):
    article = ArticleFactory(
        headline=headline,
        slug=slug,
        section=section,
        lead_image=image,
        tags=[tag],
        published_at=timezone.now() - timedelta(hours=hours_ago),
    )
    BylineFactory(article=article, author=author)
    return article


@pytest.fixture
def newsroom(backend):
    """Two corners of the site that share nothing: the bridge story (News, Alice, #bridge) and the ferry story
    (Travel, Bob, #ferry), whose related news is four other travel stories."""
    news = Section.objects.create(name="News", slug="news")
    travel = Section.objects.create(name="Travel", slug="travel", order=1)
    alice = AuthorFactory(name="Alice Marsh", slug="alice", job_title="Transport reporter")
    bob = AuthorFactory(name="Bob Lane", slug="bob", job_title="Travel editor")
    harbour, quay = ImageFactory(alt_text="The old harbour bridge"), ImageFactory(alt_text="A ferry at the quay")
    bridge = story("Bridge reopens", "bridge-reopens", news, alice, "bridge", harbour)
    ferry = story("Ferry timetable changes", "ferry-timetable", travel, bob, "ferry", quay)
    for n in range(4):
        story(f"Travel note {n}", f"travel-note-{n}", travel, bob, f"coast-{n}", quay, hours_ago=2 + n)
    return {"bridge": bridge, "ferry": ferry, "alice": alice, "bob": bob, "harbour": harbour}


BRIDGE_PAGES = ["/", "/articles/bridge-reopens/", "/sections/news/", "/tags/bridge/", "/authors/alice/"]
FERRY_PAGES = ["/articles/ferry-timetable/", "/sections/travel/", "/tags/ferry/", "/authors/bob/"]


def warm(client, urls):
    for url in urls:
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit", url


def assert_untouched(client, urls):
    for url in urls:
        assert client.get(url)["X-Page-Cache"] == "hit", url


def test_an_edit_shows_on_every_page_with_the_story_and_no_other_page_is_made_again(client, admin_user, newsroom):
    warm(client, BRIDGE_PAGES + FERRY_PAGES + ["/feeds/rss.xml"])
    bridge = newsroom["bridge"]

    bridge.headline = "Bridge reopens to buses only"
    article_save(article=bridge, user=admin_user, expected_version=bridge.version)

    for url in BRIDGE_PAGES + ["/feeds/rss.xml"]:
        response = client.get(url)
        assert response["X-Page-Cache"] == "miss", url
        assert b"to buses only" in response.content, url
    assert_untouched(client, FERRY_PAGES)


def test_a_publish_shows_on_the_front_page_its_section_tags_author_and_feeds_and_nowhere_else(
    client, admin_user, newsroom
):
    warm(client, BRIDGE_PAGES + FERRY_PAGES + ["/feeds/rss.xml", "/sitemap-articles.xml"])
    draft = ArticleFactory(
        headline="Second crossing planned", slug="second-crossing", status=Article.Status.DRAFT, published_at=None
    )
    draft.section = Section.objects.get(slug="news")
    draft.save()
    draft.tags.set(["bridge"])
    BylineFactory(article=draft, author=newsroom["alice"])
    assert_untouched(client, BRIDGE_PAGES + FERRY_PAGES)  # a draft's changes show nowhere

    article_publish(article=draft, user=admin_user)

    for url in ["/", "/sections/news/", "/tags/bridge/", "/authors/alice/", "/feeds/rss.xml"]:
        assert b"Second crossing planned" in client.get(url).content, url
    assert b"second-crossing" in client.get("/sitemap-articles.xml").content
    assert_untouched(client, FERRY_PAGES + ["/articles/bridge-reopens/"])


def test_an_unpublish_takes_the_story_off_every_page_at_once(client, admin_user, newsroom):
    warm(client, BRIDGE_PAGES + FERRY_PAGES + ["/feeds/rss.xml"])

    article_unpublish(article=newsroom["bridge"], user=admin_user)

    assert client.get("/articles/bridge-reopens/").status_code == 404
    for url in ["/", "/sections/news/", "/tags/bridge/", "/authors/alice/", "/feeds/rss.xml"]:
        assert b"Bridge reopens" not in client.get(url).content, url
    assert_untouched(client, FERRY_PAGES)


def test_a_correction_shows_on_the_story_and_in_the_feed(client, newsroom):
    warm(client, BRIDGE_PAGES + FERRY_PAGES + ["/feeds/rss.xml"])

    CorrectionFactory(article=newsroom["bridge"], text="The bridge opened on Tuesday, not Monday.")

    assert b"not Monday" in client.get("/articles/bridge-reopens/").content
    assert b"not Monday" in client.get("/feeds/rss.xml").content
    assert_untouched(client, FERRY_PAGES)


def test_a_picture_described_anew_shows_wherever_it_is_shown(client, newsroom):
    warm(client, BRIDGE_PAGES + FERRY_PAGES)
    harbour = Image.objects.get(pk=newsroom["harbour"].pk)

    harbour.alt_text = "Cyclists crossing the reopened harbour bridge"
    harbour.caption = "The first cyclists over the bridge"
    harbour.save()

    page = client.get("/articles/bridge-reopens/").content
    assert b"Cyclists crossing the reopened harbour bridge" in page and b"The first cyclists" in page
    for url in ["/", "/sections/news/", "/tags/bridge/", "/authors/alice/"]:
        assert b"Cyclists crossing" in client.get(url).content, url
    assert_untouched(client, FERRY_PAGES)


def test_an_authors_new_title_and_bio_show_on_their_page_and_bylines(client, newsroom):
    warm(client, BRIDGE_PAGES + FERRY_PAGES)
    alice = Author.objects.get(slug="alice")

    alice.job_title = "Chief reporter"
    alice.bio = "Alice has covered the harbour for twenty years."
    alice.save()

    assert b"twenty years" in client.get("/authors/alice/").content
    assert b"Chief reporter" in client.get("/articles/bridge-reopens/").content
    assert_untouched(client, FERRY_PAGES)


def test_a_renamed_tag_shows_on_its_stories_and_its_page(client, newsroom):
    warm(client, BRIDGE_PAGES + FERRY_PAGES)
    tag = Tag.objects.get(slug="bridge")

    tag.name = "Harbour bridge"
    tag.save()

    assert b"Harbour bridge" in client.get("/articles/bridge-reopens/").content
    assert b"Harbour bridge" in client.get("/tags/bridge/").content
    assert_untouched(client, FERRY_PAGES)


def test_a_renamed_section_shows_in_every_pages_navigation(client, newsroom):
    warm(client, BRIDGE_PAGES + FERRY_PAGES)
    news = Section.objects.get(slug="news")

    news.name = "Local news"
    news.save()

    for url in BRIDGE_PAGES + FERRY_PAGES:  # the header of every page lists the sections
        assert b">Local news<" in client.get(url).content, url


def test_a_scheduled_story_shows_when_its_time_comes_and_leaves_other_pages_cached(
    client, admin_user, newsroom, monkeypatch
):
    at = timezone.now() + timedelta(minutes=5)
    due = ArticleFactory(headline="Night works on the bridge", slug="night-works", status=Article.Status.DRAFT)
    due.tags.set(["bridge"])
    BylineFactory(article=due, author=newsroom["alice"])
    article_publish(article=due, user=admin_user, at=at)
    warm(client, BRIDGE_PAGES + FERRY_PAGES)

    monkeypatch.setattr(timezone, "now", lambda: at + timedelta(seconds=1))

    for url in ["/", "/sections/news/", "/tags/bridge/", "/authors/alice/"]:
        assert b"Night works on the bridge" in client.get(url).content, url
    assert_untouched(client, FERRY_PAGES + ["/articles/bridge-reopens/"])


def test_last_modified_of_an_unrelated_page_stays_put_through_a_publish(client, admin_user, newsroom):
    before = client.get("/articles/ferry-timetable/")

    article_publish(
        article=ArticleFactory(headline="Elsewhere", status=Article.Status.DRAFT, published_at=None), user=admin_user
    )

    again = client.get("/articles/ferry-timetable/", HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert again.status_code == 304


def test_each_page_names_what_it_shows_in_its_xkey_header(client, newsroom):
    bridge, alice = newsroom["bridge"], newsroom["alice"]

    keys = set(client.get("/articles/bridge-reopens/")["xkey"].split())
    listed = set(client.get("/sections/news/")["xkey"].split())

    assert {f"article:{bridge.pk}", f"section:{bridge.section_id}", f"author:{alice.pk}", "chrome"} <= keys
    assert f"tag:{Tag.objects.get(slug='bridge').pk}" in keys
    assert {f"section-list:{bridge.section_id}", f"article:{bridge.pk}"} <= listed
    assert "front" in client.get("/")["xkey"].split()
    assert client.get("/feeds/rss.xml")["xkey"] == "feeds"


# The stampede guard.


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["local memory", "redis"], indirect=True)
def test_readers_arriving_together_at_a_changed_page_cause_one_render(backend, monkeypatch, settings):
    from django.test import Client

    from articles import views

    ArticleFactory(headline="Bridge reopens")
    Client().get("/")  # cached
    renders = []
    slow = views.HomeView.get_context_data

    def counted(self, **kwargs):
        renders.append(1)
        time.sleep(0.5)  # long enough for every reader to arrive while it is being made
        return slow(self, **kwargs)

    monkeypatch.setattr(views.HomeView, "get_context_data", counted)
    ArticleFactory(headline="Ferry returns")  # the front page changes
    answers = []

    def read():
        response = Client().get("/")
        answers.append((response.status_code, response["X-Page-Cache"], b"Ferry returns" in response.content))

    readers = [threading.Thread(target=read) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()

    assert len(renders) == 1
    assert sorted(answers) == sorted([(200, "miss", True)] + [(200, "stale", False)] * 7)
    after = Client().get("/")
    assert after["X-Page-Cache"] == "hit" and b"Ferry returns" in after.content


def test_a_stale_copy_is_never_kept_by_browsers_or_proxies(client, newsroom, settings):
    from django.core.cache import cache
    from django.test import RequestFactory

    from newsroom.public_cache import page_key

    client.get("/")
    ArticleFactory(headline="Ferry returns")

    # Someone else is making the front page: this reader gets the copy from before, marked not to be kept.
    cache.add(f"making:{page_key(RequestFactory().get('/'))}", 1, 5)
    response = client.get("/")

    assert response["X-Page-Cache"] == "stale"
    assert "no-cache" in response["Cache-Control"]
    assert b"Ferry returns" not in response.content


# Parts of pages cached on their own (newsroom/fragments.py): pages made again reuse what did not change.


@pytest.fixture
def no_page_cache(settings):
    settings.PAGE_CACHE = False


def test_an_article_page_made_from_its_cached_parts_costs_one_query(
    client, newsroom, no_page_cache, django_assert_num_queries
):
    first = client.get("/articles/bridge-reopens/").content

    with django_assert_num_queries(1):  # the article, its section and lead image; the rest is cached
        again = client.get("/articles/bridge-reopens/").content

    assert again == first


def test_an_article_page_reuses_its_parts_after_someone_elses_publish(
    client, admin_user, newsroom, no_page_cache, django_assert_num_queries
):
    client.get("/articles/ferry-timetable/")
    article_publish(
        article=ArticleFactory(headline="Elsewhere", status=Article.Status.DRAFT, published_at=None), user=admin_user
    )

    with django_assert_num_queries(1):
        assert client.get("/articles/ferry-timetable/").status_code == 200


def test_an_articles_parts_are_made_again_when_it_or_what_it_shows_changes(client, newsroom, no_page_cache):
    client.get("/articles/bridge-reopens/")
    CorrectionFactory(article=newsroom["bridge"], text="The bridge opened on Tuesday, not Monday.")
    assert b"not Monday" in client.get("/articles/bridge-reopens/").content

    alice = Author.objects.get(slug="alice")
    alice.name = "Alice Marsh-Hale"
    alice.save()
    page = client.get("/articles/bridge-reopens/").content
    assert b"Alice Marsh-Hale" in page
    assert page.count(b"Alice Marsh-Hale") >= 2  # the byline and the JSON-LD in the head


def test_a_preview_neither_uses_nor_keeps_cached_parts(client, newsroom, no_page_cache):
    from articles.preview import preview_url

    bridge = newsroom["bridge"]
    client.get("/articles/bridge-reopens/")
    Article.objects.filter(pk=bridge.pk).update(headline="Changed without a signal")

    assert b"Changed without a signal" in client.get(preview_url(bridge)).content


@pytest.mark.parametrize("url", ["/articles/bridge-reopens/", "/", "/sections/travel/"])
def test_with_parts_cache_off_every_part_is_made_afresh_for_every_page(
    client, newsroom, no_page_cache, settings, django_assert_num_queries, url
):
    """PARTS_CACHE=0 (what the benchmark's "made" pass measures): each page is made from nothing, every time."""
    settings.PARTS_CACHE = False
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content
    # Changed behind the cache's back (no signal): only a part made afresh can show it.
    Section.objects.filter(slug="news").update(name="Harbour desk")
    Author.objects.filter(slug="alice").update(name="Alice Renamed")

    with django_assert_num_queries(len(first)):
        again = client.get(url).content

    assert b"Harbour desk" in again and b"Harbour desk" not in page
    if url != "/sections/travel/":
        assert b"Alice Renamed" in again

    settings.PARTS_CACHE = True  # the switch, not something else, made the difference
    client.get(url)
    Section.objects.filter(slug="news").update(name="Newer name")
    assert b"Newer name" not in client.get(url).content


@pytest.mark.parametrize(
    "url, made, cached",
    [
        # ids of the top stories and of the latest per section; the stories and the bylines of the cards made;
        # then the cards are all cached
        ("/", 4, 2),
        # the section, the paginator's count, the page of stories, bylines of the cards made
        ("/sections/travel/", 4, 3),
        ("/tags/ferry/", 4, 3),
        ("/authors/bob/", 4, 3),
    ],
)
def test_list_pages_made_again_take_their_cards_from_the_cache(
    client, newsroom, no_page_cache, django_assert_num_queries, url, made, cached
):
    with django_assert_num_queries(made):
        first = client.get(url).content

    with django_assert_num_queries(cached):
        assert client.get(url).content == first


def test_a_card_is_made_again_when_its_story_changes_and_only_that_card(client, admin_user, newsroom, no_page_cache):
    client.get("/sections/travel/")
    ferry = newsroom["ferry"]

    ferry.headline = "Ferry timetable changes again"
    article_save(article=ferry, user=admin_user, expected_version=ferry.version)

    assert b"changes again" in client.get("/sections/travel/").content
    assert b"changes again" in client.get("/authors/bob/").content


def test_an_unpublished_story_is_not_handed_out_as_the_copy_from_before(client, admin_user, newsroom):
    from django.core.cache import cache
    from django.test import RequestFactory

    from newsroom.public_cache import page_key

    warm(client, ["/articles/bridge-reopens/"])
    article_unpublish(article=newsroom["bridge"], user=admin_user)
    assert client.get("/articles/bridge-reopens/").status_code == 404

    # Someone else making the page again: there is no copy from before to hand out any more.
    cache.add(f"making:{page_key(RequestFactory().get('/articles/bridge-reopens/'))}", 1, 5)
    response = client.get("/articles/bridge-reopens/")
    assert response.status_code == 404 and b"Bridge reopens" not in response.content


@pytest.mark.parametrize("backend", ["redis"], indirect=True)  # only Redis keeps a page's keys apart from it
def test_a_page_whose_list_of_keys_was_lost_is_made_again(client, newsroom, backend):
    from django.core.cache import cache
    from django.test import RequestFactory

    from newsroom import freshness
    from newsroom.public_cache import page_key

    warm(client, ["/articles/ferry-timetable/"])
    cache.delete(freshness.index_key(page_key(RequestFactory().get("/articles/ferry-timetable/"))))

    assert client.get("/articles/ferry-timetable/")["X-Page-Cache"] != "hit"


def test_the_newest_generation_of_what_each_page_shows_is_read_alike_from_either_cache(backend):
    freshness.changed("article:1")
    freshness.changed("image:2")
    pages = {
        "story": freshness.Entry(0, ("article:1", "image:2", "author:3"), None),
        "unchanged": freshness.Entry(0, ("author:3",), None),
        "nothing shown": freshness.Entry(0, (), None),
        "not an entry": None,
    }

    newest = freshness.newest_of(pages)

    assert newest == {
        "story": max(freshness.generation("article:1"), freshness.generation("image:2")),
        "unchanged": freshness.generation("author:3"),
        "nothing shown": 0,
    }
    assert newest["story"] > newest["unchanged"]
    assert freshness.newest_of({}) == {}
