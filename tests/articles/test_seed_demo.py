import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from taggit.models import Tag

from articles.models import Article, Author, Byline, Figure, Image, Quote, RelatedArticle, Section
from newsletter.models import Subscriber, Subscription

pytestmark = pytest.mark.django_db

MODELS = [Section, Author, Image, Article, Byline, Figure, Quote, RelatedArticle, Tag, User, Subscriber, Subscription]


def snapshot():
    return {model.__name__: sorted(model.objects.values_list("pk", flat=True)) for model in MODELS} | {
        "articles": list(Article.objects.order_by("pk").values()),
    }


def test_seed_demo_builds_a_newsroom_and_a_second_run_changes_nothing(
    settings, django_capture_on_commit_callbacks, roles
):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    first = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)

    assert snapshot() == first
    assert Section.objects.count() >= 3
    assert Article.objects.published().count() >= 10
    assert Article.objects.exclude(pk__in=Article.objects.published()).exists()  # a draft and a scheduled story
    assert Quote.objects.values("speaker_name").distinct().count() >= 4
    assert not Article.objects.published().filter(lead_image=None).exists()
    assert RelatedArticle.objects.exists()
    assert {"admin", "editor", "journalist", "audience"} <= set(User.objects.values_list("username", flat=True))
    assert User.objects.get(username="audience").groups.filter(name="Audience").exists()
    assert User.objects.get(username="editor").groups.filter(name="Editor").exists()


def test_seed_demo_makes_no_staff_accounts_when_debug_is_off(settings, django_capture_on_commit_callbacks):
    settings.DEBUG = False
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)

    assert not User.objects.exists()
    assert Article.objects.published().exists()


def test_every_demo_page_renders(client, settings, django_capture_on_commit_callbacks, roles):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)

    for article in Article.objects.published():
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert b'class="pull-quote"' in response.content
    for section in Section.objects.all():
        assert client.get(section.get_absolute_url()).status_code == 200


def test_the_demo_has_published_stories_tagged_in_other_scripts_with_working_tag_pages(client, settings, roles):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)

    for name in ["café", "東京"]:
        tag = Tag.objects.get(name=name)
        story = Article.objects.published().tagged(tag).get()
        assert client.get(story.get_absolute_url()).status_code == 200
        tag_page = client.get(reverse("articles:tag", kwargs={"slug": tag.slug}))
        assert tag_page.status_code == 200 and story.headline in tag_page.content.decode()


def test_the_demo_has_two_journalists_on_one_story_for_its_live_blog_and_a_story_with_stored_embeds(settings):
    from embeds.models import Embed
    from live.models import LiveBlog
    from live.services import can_post

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())

    story = Article.objects.get(slug="abbey-bridge-closure")
    live_blog = LiveBlog.objects.create(article=story)
    for username in ["journalist", "reporter"]:
        user = User.objects.get(username=username)
        assert user.groups.filter(name="Journalist").exists()
        assert can_post(user, live_blog), username
    assert Embed.objects.filter(status=Embed.Status.READY).count() == 3  # shown with no network
