"""Public pages can be kept by browsers, proxies and CDNs and revalidated with a conditional GET; anything
personal cannot. Last-Modified follows the content version, which every change readers see moves on."""

from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from articles.models import Article
from articles.preview import preview_url
from articles.services import article_publish, article_save, article_unpublish
from newsletter import tokens
from newsroom import freshness
from newsroom.public_cache import add_public_headers
from tests.factories import ArticleFactory, SectionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory(headline="Bridge reopens", slug="bridge-reopens", section=SectionFactory(slug="news"))


PUBLIC_PAGES = ["/", "/articles/bridge-reopens/", "/sections/news/", "/search/?q=bridge", "/feeds/rss.xml"]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_are_cacheable_and_a_conditional_get_answers_304(client, article, url):
    response = client.get(url)

    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "public" in cache_control and "max-age=60" in cache_control and "stale-while-revalidate=60" in cache_control
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies
    assert response["ETag"] and response["Last-Modified"]

    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304


def test_an_edit_gives_a_new_etag_and_after_its_commit_a_later_last_modified(
    client, admin_user, article, django_capture_on_commit_callbacks
):
    before = client.get("/articles/bridge-reopens/")

    article.headline = "Bridge reopens after eight months"
    with django_capture_on_commit_callbacks(execute=True):
        article_save(article=article, user=admin_user, expected_version=article.version)

    by_etag = client.get("/articles/bridge-reopens/", HTTP_IF_NONE_MATCH=before["ETag"])
    by_date = client.get("/articles/bridge-reopens/", HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert by_etag.status_code == by_date.status_code == 200
    assert b"after eight months" in by_date.content
    assert parse_http_date(by_date["Last-Modified"]) > parse_http_date(before["Last-Modified"])


@pytest.mark.django_db(transaction=True)
def test_changes_committed_within_one_second_still_move_last_modified_on(article):
    from django.db import transaction

    first = freshness.last_changed()

    for _ in range(2):  # two transactions, each committing one change, in the same second
        with transaction.atomic():
            freshness.changed("front")

    assert freshness.last_changed() == first + timedelta(seconds=2)


@pytest.mark.django_db(transaction=True)
def test_one_commits_many_saves_move_last_modified_on_once(article):
    from django.db import transaction

    first = freshness.last_changed()

    with transaction.atomic():
        for n in range(10):
            SectionFactory(name=f"Section {n}", slug=f"section-{n}")

    assert freshness.last_changed() == first + timedelta(seconds=1)


def test_a_feed_reader_asking_if_modified_since_sees_an_unpublished_story_go(
    client, admin_user, article, django_capture_on_commit_callbacks
):
    before = client.get("/feeds/rss.xml")
    assert b"Bridge reopens" in before.content

    with django_capture_on_commit_callbacks(execute=True):
        article_unpublish(article=article, user=admin_user)

    after = client.get("/feeds/rss.xml", HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert after.status_code == 200
    assert b"Bridge reopens" not in after.content


def test_the_site_keeps_working_when_the_cache_is_out_of_reach(client, admin_user, article, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "set", "add", "incr", "get_or_set"):
        monkeypatch.setattr(cache, method, broken)

    assert client.get("/").status_code == 200
    assert client.get("/articles/bridge-reopens/").status_code == 200
    SectionFactory(name="Sport")  # an editor's save does not fail over the cache
    assert client.post("/newsletter/", {"email": "reader@example.org"}).status_code == 302


@pytest.mark.parametrize("change", ["publish", "unpublish", "top story", "new section"])
def test_every_change_readers_see_moves_the_front_page_on(admin_user, article, change):
    before = freshness.generation("front")

    if change == "publish":
        article_publish(article=ArticleFactory(status=Article.Status.DRAFT, published_at=None), user=admin_user)
    elif change == "unpublish":
        article_unpublish(article=article, user=admin_user)
    elif change == "top story":
        from articles.services import article_set_top_story

        article_set_top_story(article=article, user=admin_user, top_story=True)
    else:
        SectionFactory(name="Sport")

    assert freshness.generation("front") > before


def test_a_scheduled_article_moves_the_version_on_when_its_time_comes(client, admin_user, monkeypatch):
    ArticleFactory(headline="Already out")
    at = (timezone.now() + timedelta(minutes=30)).replace(microsecond=0)
    article_publish(article=ArticleFactory(headline="Due later", status=Article.Status.DRAFT), user=admin_user, at=at)

    before = client.get("/")
    assert b"Due later" not in before.content
    assert freshness.snapshot().schedule.next_at == at

    later = at + timedelta(seconds=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    after = client.get("/", HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])

    assert after.status_code == 200
    assert b"Due later" in after.content
    assert parse_http_date(after["Last-Modified"]) == int(at.timestamp())


def test_browsers_do_not_keep_a_page_past_the_next_scheduled_article(client, admin_user):
    at = timezone.now() + timedelta(seconds=20)
    article_publish(article=ArticleFactory(status=Article.Status.DRAFT), user=admin_user, at=at)

    directives = dict(
        part.strip().partition("=")[::2] for part in client.get("/")["Cache-Control"].split(",") if "=" in part
    )

    assert 1 <= int(directives["max-age"]) <= 21
    assert directives["stale-while-revalidate"] == "0"  # not a second past it, stale or not


def directives_of(response) -> dict[str, str]:
    return dict(part.strip().partition("=")[::2] for part in response["Cache-Control"].split(",") if "=" in part)


def test_only_our_caching_proxies_are_told_to_keep_pages_longer(client, article, settings):
    assert "s-maxage" not in client.get("/sections/news/")["Cache-Control"]

    settings.CACHE_PROXIES = ["http://127.0.0.1:6081"]
    made = client.get("/articles/bridge-reopens/")
    from_cache = client.get("/articles/bridge-reopens/")

    assert from_cache["X-Page-Cache"] == "hit"
    for response in made, from_cache:
        assert directives_of(response) == {"max-age": "60", "stale-while-revalidate": "60", "s-maxage": "86400"}


def test_proxies_do_not_keep_a_page_past_the_next_scheduled_article_even_stale(client, admin_user, settings):
    at = timezone.now() + timedelta(seconds=1000)
    article_publish(article=ArticleFactory(status=Article.Status.DRAFT), user=admin_user, at=at)
    settings.CACHE_PROXIES = ["http://127.0.0.1:6081"]

    directives = directives_of(client.get("/"))

    assert int(directives["max-age"]) == 60
    assert 900 <= int(directives["s-maxage"]) and int(directives["s-maxage"]) + 60 <= 1001
    assert directives["stale-while-revalidate"] == "60"


def test_a_page_that_changed_while_it_was_made_is_not_kept_by_the_proxies(settings):
    settings.CACHE_PROXIES = ["http://127.0.0.1:6081"]
    snapshot = freshness.snapshot()
    response = HttpResponse()

    add_public_headers(response, snapshot, snapshot.tick + 1)

    assert directives_of(response)["s-maxage"] == "0"
    assert not response.has_header("Last-Modified")


def test_logged_in_staff_get_no_shared_cache_headers(client, admin_user, article):
    client.force_login(admin_user)

    response = client.get("/articles/bridge-reopens/")

    assert "public" not in response.get("Cache-Control", "")


def test_previews_admin_pages_and_email_links_are_never_cached(client, admin_client, article):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    subscription = SubscriptionFactory()

    responses = [
        client.get(preview_url(draft)),
        admin_client.get("/admin/articles/article/"),
        client.get(f"/newsletter/unsubscribe/{tokens.unsubscribe_token(subscription)}/"),
        client.get(f"/newsletter/confirm/{tokens.confirmation_token(subscription)}/"),
    ]

    for response in responses:
        assert response.status_code == 200
        assert "public" not in response["Cache-Control"]
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_error_pages_are_not_cached_as_public(client):
    assert "public" not in client.get("/articles/nope/").get("Cache-Control", "")


def test_last_modified_is_when_the_content_last_changed(client, article):
    assert client.get("/")["Last-Modified"] == http_date(freshness.last_changed().timestamp())


# The whole-page cache for anonymous readers.


def test_a_page_is_served_from_the_cache_the_second_time_without_a_query(client, article, django_assert_num_queries):
    assert client.get("/articles/bridge-reopens/")["X-Page-Cache"] == "miss"

    with django_assert_num_queries(0):
        response = client.get("/articles/bridge-reopens/")

    assert response["X-Page-Cache"] == "hit"
    assert b"Bridge reopens" in response.content
    assert "public" in response["Cache-Control"]


def test_publish_edit_and_unpublish_show_at_once_on_cached_pages(client, admin_user, article):
    draft = ArticleFactory(headline="Ferry returns", status=Article.Status.DRAFT, published_at=None)
    assert b"Ferry returns" not in client.get("/").content
    client.get("/articles/bridge-reopens/")

    article_publish(article=draft, user=admin_user)
    assert b"Ferry returns" in client.get("/").content

    article.headline = "Bridge reopens to buses only"
    article_save(article=article, user=admin_user, expected_version=article.version)
    assert b"to buses only" in client.get("/articles/bridge-reopens/").content

    article_unpublish(article=article, user=admin_user)
    assert client.get("/articles/bridge-reopens/").status_code == 404
    assert b"to buses only" not in client.get("/").content


def test_a_scheduled_article_appears_on_cached_pages_when_its_time_comes(client, admin_user, monkeypatch):
    ArticleFactory(headline="Already out")
    at = timezone.now() + timedelta(minutes=10)
    article_publish(article=ArticleFactory(headline="Due later", status=Article.Status.DRAFT), user=admin_user, at=at)
    assert b"Due later" not in client.get("/").content
    assert client.get("/")["X-Page-Cache"] == "hit"

    monkeypatch.setattr(timezone, "now", lambda: at + timedelta(seconds=1))

    assert b"Due later" in client.get("/").content


def test_a_scheduled_article_going_out_leaves_unrelated_cached_pages_in_place(client, admin_user, monkeypatch):
    elsewhere = ArticleFactory(headline="Ferry timetable", section=SectionFactory(slug="travel"))
    at = timezone.now() + timedelta(minutes=10)
    article_publish(article=ArticleFactory(headline="Due later", status=Article.Status.DRAFT), user=admin_user, at=at)
    client.get("/")
    client.get(elsewhere.get_absolute_url())

    monkeypatch.setattr(timezone, "now", lambda: at + timedelta(seconds=1))

    assert b"Due later" in client.get("/").content
    assert client.get(elsewhere.get_absolute_url())["X-Page-Cache"] == "hit"


def test_logged_in_staff_bypass_the_page_cache(client, admin_user, article):
    client.get("/articles/bridge-reopens/")  # cached for readers
    client.force_login(admin_user)

    response = client.get("/articles/bridge-reopens/")

    assert "X-Page-Cache" not in response
    client.logout()
    client.cookies.clear()
    assert client.get("/articles/bridge-reopens/")["X-Page-Cache"] == "hit"


def test_each_address_is_cached_on_its_own(client):
    for i in range(14):
        ArticleFactory(headline=f"Story {i:02d}", published_at=timezone.now() - timedelta(hours=i))

    first = client.get("/search/?q=story").content
    second = client.get("/search/?q=story&page=2").content

    assert first != second
    assert client.get("/search/?q=story&page=2").content == second


def test_parameters_a_page_does_not_read_are_served_from_the_bare_pages_entry(client, article):
    assert client.get("/articles/bridge-reopens/")["X-Page-Cache"] == "miss"

    for query in ("?utm_source=x&foo=y", "?fbclid=1", "?q=bridge", "?page=2", "?sort=newest", "?x"):
        response = client.get(f"/articles/bridge-reopens/{query}")
        assert (response.status_code, response["X-Page-Cache"]) == (200, "hit"), query


def test_the_parameters_a_page_reads_are_kept_in_any_order_with_the_last_value_of_each(client, article):
    assert client.get("/search/?q=bridge&sort=newest")["X-Page-Cache"] == "miss"

    for query in ("sort=newest&q=bridge", "utm_source=x&q=bridge&fbclid=y&sort=newest", "q=ferry&sort=newest&q=bridge"):
        assert client.get(f"/search/?{query}")["X-Page-Cache"] == "hit", query
    assert b"Bridge reopens" not in client.get("/search/?q=bridge&q=ferry&sort=newest").content
    assert client.get("/search/?q=bridge")["X-Page-Cache"] == "miss"


def test_a_page_number_or_an_order_spelt_oddly_is_served_but_not_kept(client, article):
    for path in ("/sections/news/?page=01", "/search/?q=bridge&sort=Newest", "/sitemap-articles.xml?p=+1"):
        for _ in range(2):
            response = client.get(path)
            assert response.status_code == 200 and "X-Page-Cache" not in response, path


def test_another_page_of_a_sitemap_is_not_the_first_pages_entry(client, article):
    assert client.get("/sitemap-articles.xml").status_code == 200

    assert client.get("/sitemap-articles.xml?p=2").status_code == 404
    assert client.get("/sitemap-articles.xml?p=1&utm_source=x")["X-Page-Cache"] == "miss"


def test_junk_query_strings_add_nothing_to_the_cache(client, article, real_redis, settings):
    import redis

    store = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    pages = ["/", "/articles/bridge-reopens/", "/sections/news/", "/search/?q=bridge", "/sitemap-articles.xml"]
    for path in pages:
        assert client.get(path)["X-Page-Cache"] == "miss", path
    before = set(store.keys())

    for i in range(1, 21):
        junk = f"utm_source=newsletter{i}&foo={i}&{i}"
        for path in pages:
            response = client.get(f"{path}{'&' if '?' in path else '?'}{junk}")
            assert (response.status_code, response["X-Page-Cache"]) == (200, "hit"), path
        for path in (
            f"/articles/bridge-reopens/?q={i}&page={i}&sort=newest",
            f"/sections/news/?page={'0' * i}1",
            f"/search/?q=bridge&sort=relevance{i}",
            f"/sitemap-articles.xml?p={'0' * i}1",
        ):
            assert client.get(path).status_code == 200, path

    assert set(store.keys()) == before


def test_a_preview_is_never_kept_in_the_page_cache(client):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    client.get(preview_url(draft))

    assert "X-Page-Cache" not in client.get(preview_url(draft))


# Compression: made once, kept in the cache, chosen by Accept-Encoding.


@pytest.mark.parametrize(
    "accept, encoding",
    [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("br;q=0, gzip;q=0.5", "gzip"), ("identity", None), ("", None)],
)
def test_pages_go_out_compressed_as_the_browser_accepts_first_made_and_then_from_the_cache(
    client, article, accept, encoding
):
    import gzip

    import brotli

    plain = client.get("/articles/bridge-reopens/").content
    for expected_cache in ("hit", "hit"):
        response = client.get("/articles/bridge-reopens/", HTTP_ACCEPT_ENCODING=accept)
        assert response["X-Page-Cache"] == expected_cache
        assert response.get("Content-Encoding") == encoding
        assert "Accept-Encoding" in response["Vary"]
        assert int(response["Content-Length"]) == len(response.content)
        body = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding](response.content)
        assert body == plain


def test_a_compressed_page_made_afresh_is_compressed_too(client, article):
    import brotli

    response = client.get("/articles/bridge-reopens/", HTTP_ACCEPT_ENCODING="br")

    assert response["X-Page-Cache"] == "miss"
    assert b"Bridge reopens" in brotli.decompress(response.content)


def test_each_encoding_has_its_own_etag_and_answers_its_own_conditional_get(client, article):
    plain = client.get("/articles/bridge-reopens/")["ETag"]
    squeezed = client.get("/articles/bridge-reopens/", HTTP_ACCEPT_ENCODING="br")["ETag"]

    assert plain != squeezed
    assert (
        client.get("/articles/bridge-reopens/", HTTP_ACCEPT_ENCODING="br", HTTP_IF_NONE_MATCH=squeezed).status_code
        == 304
    )
    assert client.get("/articles/bridge-reopens/", HTTP_IF_NONE_MATCH=squeezed).status_code == 200


def test_nothing_personal_is_compressed(admin_client, article):
    """The admin carries CSRF tokens and personal data: never compressed by the site (BREACH)."""
    response = admin_client.get("/admin/articles/article/", HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    assert "Content-Encoding" not in response
