from datetime import timedelta

import pytest
from django.utils import timezone

from articles.loading import load_story
from articles.models import Article
from tests.factories import ArticleFactory, RelatedArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db


def hours_ago(hours):
    return timezone.now() - timedelta(hours=hours)


READ_ALONE = False


@pytest.fixture(autouse=True, params=["with the story", "on its own"])
def reading(request, monkeypatch):
    """Every ranking holds as the page reads it (with the story, `load_story`) and as `related_to` reads it."""
    monkeypatch.setattr(f"{__name__}.READ_ALONE", request.param == "on its own")


def page_article(article):
    page = Article.objects.published().for_page_shell().get(pk=article.pk)
    load_story(page)
    if READ_ALONE:
        del page.loaded_related_news
    return page


def test_editors_picks_come_first_in_their_order_then_the_page_fills_up_to_four():
    article = ArticleFactory(tags=["flooding"])
    second, first = ArticleFactory(), ArticleFactory()
    RelatedArticleFactory(from_article=article, to_article=first, order=0)
    RelatedArticleFactory(from_article=article, to_article=second, order=1)
    filler = ArticleFactory(tags=["flooding"])
    ArticleFactory.create_batch(3)

    related = page_article(article).related_news()

    assert related[:3] == [first, second, filler]
    assert len(related) == 4


def test_fill_ranks_by_shared_tags_then_section_then_recency():
    news, business = SectionFactory(slug="news"), SectionFactory(slug="business")
    article = ArticleFactory(section=news, tags=["river", "housing", "council"])
    two_tags_old = ArticleFactory(section=business, tags=["river", "housing"], published_at=hours_ago(90))
    one_tag_same_section = ArticleFactory(section=news, tags=["river"], published_at=hours_ago(50))
    one_tag_other_section_newer = ArticleFactory(section=business, tags=["council"], published_at=hours_ago(2))
    same_section_no_tags = ArticleFactory(section=news, published_at=hours_ago(80))
    ArticleFactory(section=business, published_at=hours_ago(1))  # newest, but unrelated

    related = page_article(article).related_news()

    assert related == [two_tags_old, one_tag_same_section, one_tag_other_section_newer, same_section_no_tags]


def test_fill_falls_back_to_the_newest_stories_when_nothing_is_related():
    article = ArticleFactory(section=SectionFactory(slug="culture"))
    newest = [ArticleFactory(section=SectionFactory(slug="sport"), published_at=hours_ago(h)) for h in (1, 2, 3, 4, 5)]

    assert page_article(article).related_news() == newest[:4]


def test_unpublished_and_scheduled_articles_never_appear_as_related():
    article = ArticleFactory(tags=["river"])
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, tags=["river"])
    scheduled = ArticleFactory(published_at=timezone.now() + timedelta(days=1), tags=["river"])
    in_review = ArticleFactory(status=Article.Status.REVIEW, tags=["river"])
    for hidden in (draft, scheduled, in_review):
        RelatedArticleFactory(from_article=article, to_article=hidden)

    related = page_article(article).related_news()

    assert related == []


def test_an_article_is_never_related_to_itself_and_never_listed_twice():
    article = ArticleFactory(tags=["river"])
    pick = ArticleFactory(tags=["river"])
    RelatedArticleFactory(from_article=article, to_article=pick)

    related = page_article(article).related_news()

    assert related == [pick]


def test_unpublished_articles_sharing_tags_do_not_crowd_out_a_published_one():
    news, business = SectionFactory(slug="news"), SectionFactory(slug="business")
    article = ArticleFactory(section=news, tags=["river", "housing"], published_at=hours_ago(96))
    match = ArticleFactory(section=business, tags=["river"], published_at=hours_ago(48))
    for _ in range(55):  # more than the candidates ranked, all sharing both tags, none published
        ArticleFactory(section=business, tags=["river", "housing"], status=Article.Status.DRAFT, published_at=None)
    for hours in (1, 2, 3, 4):
        ArticleFactory(section=news, published_at=hours_ago(hours))

    assert page_article(article).related_news()[0] == match


def test_among_many_equally_related_the_newest_by_date_come_first():
    article = ArticleFactory(tags=["river"], published_at=hours_ago(2000))
    # Created oldest-id-newest-date first: ids and publication dates run opposite ways.
    sharing = [ArticleFactory(tags=["river"], published_at=hours_ago(n + 1)) for n in range(55)]

    assert page_article(article).related_news() == sharing[:4]
