"""The sandboxed frame of a provider's markup (/embeds/<id>/frame/) is served to readers only while a public story,
or an update of a public story's live blog, shows the embed: the ids run in order, and a draft's embeds are not
for readers to find. Staff who see embeds see every frame, so a draft's preview shows them."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.utils import timezone

from articles.models import Article
from articles.services import article_unpublish
from embeds.models import Embed
from live.models import LiveBlog, LiveUpdate
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db

POST = "https://bsky.app/profile/courier.example/post/3kflood2x"
HOSTILE = '<blockquote>Water at the door</blockquote><script src="https://embed.bsky.app/static/embed.js"></script>'


@pytest.fixture
def post():
    return Embed.objects.create(
        url=POST, provider="bluesky", status=Embed.Status.READY, kind="rich", title="Courier on Bluesky", html=HOSTILE
    )


def frame_of(client, embed):
    return client.get(f"/embeds/{embed.pk}/frame/")


def with_post(**kwargs) -> Article:
    return ArticleFactory(body=f"<p>The river rose.</p><p>{POST}</p>", **kwargs)


def live_update(article: Article, body: str) -> LiveUpdate:
    live_blog = LiveBlog.objects.get_or_create(article=article)[0]
    return LiveUpdate.objects.create(live_blog=live_blog, author=AuthorFactory(), body=body)


def test_the_frame_of_an_embed_only_a_draft_shows_is_not_found(client, post):
    with_post(status=Article.Status.DRAFT)

    assert frame_of(client, post).status_code == 404


def test_the_frame_of_an_embed_only_a_story_still_to_come_shows_is_not_found(client, post):
    with_post(published_at=timezone.now() + timezone.timedelta(hours=2))

    assert frame_of(client, post).status_code == 404


def test_the_frame_of_an_embed_no_story_shows_is_not_found(client, post):
    assert frame_of(client, post).status_code == 404


def test_the_frame_of_an_embed_a_published_story_shows_is_served(client, post):
    with_post(status=Article.Status.DRAFT)
    article = with_post()

    frame = frame_of(client, post)

    assert frame.status_code == 200 and HOSTILE in frame.content.decode()
    assert f"article:{article.pk}" in frame["xkey"].split()  # purged with the story


def test_unpublishing_the_story_takes_its_frame_away_from_the_cache_too(client, post, real_redis):
    article = with_post()
    editor = User.objects.create_superuser("ed", password="x")
    assert frame_of(client, post).status_code == 200
    assert frame_of(client, post)["X-Page-Cache"] == "hit"

    article_unpublish(article=Article.objects.get(pk=article.pk), user=editor)

    assert frame_of(client, post).status_code == 404


def test_taking_the_link_out_of_the_story_takes_its_frame_away(client, post):
    article = with_post()
    assert frame_of(client, post).status_code == 200

    article.body = "<p>The river rose.</p>"
    article.save()

    assert frame_of(client, post).status_code == 404


def test_the_frame_stays_while_another_public_story_shows_the_embed(client, post):
    first, second = with_post(), with_post()
    editor = User.objects.create_superuser("ed", password="x")
    assert frame_of(client, post).status_code == 200

    article_unpublish(article=Article.objects.get(pk=first.pk), user=editor)
    assert frame_of(client, post).status_code == 200
    article_unpublish(article=Article.objects.get(pk=second.pk), user=editor)
    assert frame_of(client, post).status_code == 404


def test_the_frame_of_an_embed_a_live_update_of_a_public_story_shows_is_served(client, post):
    article = ArticleFactory()
    live_update(article, f"<p>Latest:</p><p>{POST}</p>")

    frame = frame_of(client, post)

    assert frame.status_code == 200 and HOSTILE in frame.content.decode()
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    Article.objects.get(pk=article.pk).save()  # off the site: its pages and the frame are made again
    assert frame_of(client, post).status_code == 404


def test_staff_who_see_embeds_see_the_frame_of_a_drafts_embed_so_its_preview_shows_it(client, post, login_as):
    with_post(status=Article.Status.DRAFT)

    login_as("Journalist")
    assert frame_of(client, post).status_code == 200
    login_as("Audience", "reader-team")  # staff who do not see embeds are readers here
    assert frame_of(client, post).status_code == 404


def test_the_frame_costs_the_same_queries_however_many_stories_show_the_embed(
    client, post, django_assert_num_queries, settings
):
    settings.PAGE_CACHE = False  # made each time
    with_post()
    with django_assert_num_queries(1):  # the embed, with a public story that shows it
        assert frame_of(client, post).status_code == 200
    for _ in range(5):
        with_post(status=Article.Status.DRAFT)
        with_post()
        live_update(ArticleFactory(), f"<p>{POST}</p>")
    with django_assert_num_queries(1):
        assert frame_of(client, post).status_code == 200


def test_the_migration_links_existing_embeds_to_the_texts_that_show_them(post):
    other = Embed.objects.create(url="https://www.youtube.com/watch?v=Kx7Rf2pQm0A", provider="youtube")
    article = ArticleFactory(body=f'<p>Before.</p><p><a href="{POST}">{POST}</a></p>')
    in_words = ArticleFactory(body=f'<p>Watch <a href="{other.url}">the video</a>.</p>')
    update = live_update(ArticleFactory(), f"<p>{other.url.replace('www.youtube', 'WWW.YouTube')}</p>")
    post.articles.clear()
    other.live_updates.clear()
    backfill = importlib.import_module("embeds.migrations.0004_embed_shown_in").link_embeds

    backfill(apps, None)

    assert list(post.articles.all()) == [article]
    assert not other.articles.exists() and not in_words.embeds.exists()
    assert list(other.live_updates.all()) == [update]
