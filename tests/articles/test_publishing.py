from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_only_published_articles_whose_time_has_come_are_published():
    live = ArticleFactory()
    ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    ArticleFactory(status=Article.Status.REVIEW, published_at=timezone.now() - timedelta(days=1))
    ArticleFactory(published_at=timezone.now() + timedelta(hours=2))

    assert list(Article.objects.published()) == [live]


def test_publishing_without_a_time_publishes_now_and_records_the_first_publication():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    assert article.first_published_at is None

    article.status = Article.Status.PUBLISHED
    article.save()

    assert article.published_at is not None
    assert article.is_live
    assert article.first_published_at == article.published_at


def test_scheduled_article_is_not_live_until_its_time():
    article = ArticleFactory(published_at=timezone.now() + timedelta(minutes=5))

    assert article.is_scheduled
    assert not article.is_live


def test_first_publication_time_survives_a_later_republication():
    article = ArticleFactory()
    first = article.first_published_at
    article.published_at = timezone.now()
    article.save()

    assert article.first_published_at == first


def test_article_is_marked_updated_only_when_changed_after_it_went_out():
    article = ArticleFactory(published_at=timezone.now())
    assert not article.is_updated

    went_out = timezone.now() - timedelta(hours=3)
    Article.objects.filter(pk=article.pk).update(published_at=went_out, first_published_at=went_out)
    article.refresh_from_db()
    article.save()
    assert article.is_updated


def test_a_backdated_story_is_not_marked_updated_when_it_goes_out():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    article.status = Article.Status.PUBLISHED
    article.published_at = timezone.now() - timedelta(days=2)
    article.save()

    assert article.is_live
    assert not article.is_updated
    assert article.first_published_at > article.published_at


def test_lead_caption_and_credit_fall_back_to_the_image(django_db_blocker):
    from tests.factories import ImageFactory

    image = ImageFactory(caption="Library caption", credit="Agency", renditions=False)
    article = ArticleFactory(lead_image=image)
    assert (article.lead_caption, article.lead_credit) == ("Library caption", "Agency")

    article.lead_image_caption = "The mayor at the wharf"
    article.lead_image_credit = "Jo Finch"
    assert (article.lead_caption, article.lead_credit) == ("The mayor at the wharf", "Jo Finch")
