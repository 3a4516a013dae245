"""articles/loading.py: the story's collections in one query, exactly as the ORM's prefetching gives them."""

from datetime import timedelta

import pytest
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from articles.loading import CARD_ARTICLE_FIELDS, CARD_IMAGE_FIELDS, load_article, load_cards, load_story
from articles.models import (
    Article,
    Byline,
    Correction,
    Figure,
    Image,
    Section,
    load_card_bylines,
)
from articles.templatetags.articles_tags import PageOfCards, card_html
from live.models import LiveBlog, live_blog_of
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    BylineFactory,
    FigureFactory,
    ImageFactory,
    QuoteFactory,
)

pytestmark = pytest.mark.django_db


def values(obj, names=None) -> dict:
    """These columns of a row (every one, unless named) as the model holds them: each value and its type."""
    names = names or [field.attname for field in obj._meta.concrete_fields]
    return {name: (getattr(obj, name), type(getattr(obj, name))) for name in names}


def story_article() -> Article:
    article = ArticleFactory(tags=["zebra crossing", "alpha road", "market"])
    # Out of order on purpose: the page must put them in the order editors gave.
    photo = ImageFactory(caption="Her portrait")
    BylineFactory(article=article, author=AuthorFactory(name="Second", job_title="Reporter", photo=photo), order=1)
    BylineFactory(article=article, author=AuthorFactory(name="First", bio="Writes about <b>roads</b>."), order=0)
    picture = ImageFactory(caption="A caption", credit="A credit")
    FigureFactory(article=article, image=picture, position=3, caption="", credit="Own credit")
    FigureFactory(article=article, image=ImageFactory(), position=1, caption="Own caption")
    QuoteFactory(article=article, position=2, text="Second “quote” & more", speaker_role="Mayor")
    QuoteFactory(article=article, position=0, text="First quote")
    now = timezone.now()
    Correction.objects.create(article=article, text="Later.", published_at=now - timedelta(hours=1))
    Correction.objects.create(article=article, text="Earlier.", published_at=now - timedelta(days=3, microseconds=7))
    return article


def test_the_story_loads_in_one_query_with_every_value_and_order_the_orm_gives(django_assert_num_queries):
    article = story_article()
    expected = Article.objects.get(pk=article.pk)
    prefetch_related_objects(
        [expected],
        Prefetch("bylines", queryset=Byline.objects.select_related("author")),
        Prefetch("figures", queryset=Figure.objects.select_related("image")),
        "quotes",
        "corrections",
    )
    loaded = Article.objects.get(pk=article.pk)

    with django_assert_num_queries(1):
        load_story(loaded)
    with django_assert_num_queries(0):  # everything is in hand, as after prefetching
        bylines, figures = list(loaded.bylines.all()), list(loaded.figures.all())
        quotes, corrections = list(loaded.quotes.all()), list(loaded.corrections.all())
        tags = list(loaded.tags.all())
        authors, images = [b.author for b in bylines], [f.image for f in figures]
        assert all(item.article is loaded for item in [*bylines, *figures, *quotes, *corrections])

    assert [b.author.name for b in bylines] == ["First", "Second"]
    assert [f.position for f in figures] == [1, 3]
    assert [q.text for q in quotes] == ["First quote", "Second “quote” & more"]
    assert [c.text for c in corrections] == ["Earlier.", "Later."]
    assert [t.name for t in tags] == ["zebra crossing", "alpha road", "market"]  # in the order they were given
    assert [t.name for t in tags] == [t.name for t in Article.objects.get(pk=article.pk).tags.all()]
    for mine, theirs in [
        (bylines, expected.bylines.all()),
        (authors, [b.author for b in expected.bylines.all()]),
        (figures, expected.figures.all()),
        (images, [f.image for f in expected.figures.all()]),
        (quotes, expected.quotes.all()),
        (corrections, expected.corrections.all()),
    ]:
        assert [values(obj) for obj in mine] == [values(obj) for obj in theirs]
    assert images[1].built_widths and images[1].renditions("webp")  # the JSON column, as a list
    assert figures[1].display_caption == "A caption" and figures[1].display_credit == "Own credit"
    assert corrections[0].published_at.tzinfo is not None
    assert not loaded.bylines.all()[0]._state.adding  # rows from the database, as the ORM's


def test_a_story_with_nothing_but_its_text_loads_empty_collections(django_assert_num_queries):
    article = Article.objects.get(pk=ArticleFactory().pk)
    with django_assert_num_queries(1):
        load_story(article)
    with django_assert_num_queries(0):
        assert [
            list(getattr(article, name).all()) for name in ("bylines", "tags", "figures", "quotes", "corrections")
        ] == [[], [], [], [], []]


def test_what_is_loaded_is_the_articles_own_and_no_other():
    article, _other = story_article(), story_article()
    loaded = Article.objects.get(pk=article.pk)
    load_story(loaded)
    assert {b.article_id for b in loaded.bylines.all()} == {article.pk}
    assert {f.article_id for f in loaded.figures.all()} == {article.pk}
    assert set(loaded.tags.all()) == set(article.tags.all())


def test_cards_as_plain_values_make_the_same_markup_as_the_articles_do(django_assert_num_queries):
    pictured = ArticleFactory(kicker="Exclusive <b>", headline="Bridge & road", lead_image=ImageFactory())
    BylineFactory(article=pictured, author=AuthorFactory(name="Zed", slug="zed"), order=1)
    BylineFactory(article=pictured, author=AuthorFactory(name="Amy", slug="amy"), order=0)
    plain = ArticleFactory(kicker="", standfirst="“Quoted” standfirst")
    # A picture whose renditions a worker has not made yet: the original stands in.
    unmade = ArticleFactory(lead_image=ImageFactory(alt_text='A "quoted" <alt>'))
    Image.objects.filter(pk=unmade.lead_image_id).update(built_widths=[])
    draft = ArticleFactory(status=Article.Status.DRAFT)
    scheduled = ArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    ids = [pictured.pk, plain.pk, unmade.pk, draft.pk, scheduled.pk]

    with django_assert_num_queries(3):  # the cards, their bylines, and the section the page had not seen
        cards = load_cards(ids, {})
    assert set(cards) == {pictured.pk, plain.pk, unmade.pk}  # what readers may not see yet is left out
    assert "<picture" in card_html(PageOfCards(), cards[unmade.pk], False, "")
    articles = {a.pk: a for a in Article.objects.filter(pk__in=ids).published().for_cards()}
    load_card_bylines(list(articles.values()))
    for featured in (True, False):
        for pk in cards:
            assert card_html(PageOfCards(), cards[pk], featured, "") == card_html(
                PageOfCards(), articles[pk], featured, ""
            )
    assert [b.name for b in cards[pictured.pk].card_bylines] == ["Amy", "Zed"]
    assert cards[pictured.pk].published_at == articles[pictured.pk].published_at
    sections = Section.objects.in_bulk()
    with django_assert_num_queries(2):  # sections the page has are not read again
        load_cards(ids, sections)
    with django_assert_num_queries(0):
        assert load_cards([], {}) == {}


def test_related_news_reads_each_story_as_for_cards_reads_it(django_assert_num_queries):
    article = ArticleFactory(tags=["harbour"])
    ArticleFactory(tags=["harbour"], kicker="Analysis", lead_image=ImageFactory(), section=article.section)
    ArticleFactory(tags=["harbour"], lead_image=None)
    page = Article.objects.get(pk=article.pk)
    with django_assert_num_queries(1):  # with the story
        load_story(page)
    with django_assert_num_queries(0):
        related = page.related_news()
    tag_ids = [tag.pk for tag in page.tags.all()]
    with django_assert_num_queries(1):  # or on its own, as the ranking's own tests and the benchmark read it
        alone = Article.objects.published().related_to(page, tag_ids=tag_ids, limit=Article.RELATED_LIMIT)
    expected = {a.pk: a for a in Article.objects.filter(pk__in=[r.pk for r in related]).for_cards()}
    assert len(related) == 2 and [story.pk for story in alone] == [story.pk for story in related]
    with django_assert_num_queries(0):
        for story in [*related, *alone]:
            theirs = expected[story.pk]
            assert story.get_deferred_fields() == theirs.get_deferred_fields()
            assert values(story, CARD_ARTICLE_FIELDS) == values(theirs, CARD_ARTICLE_FIELDS)
            assert (story.section.pk, story.section.name, story.section.slug) == (
                theirs.section.pk,
                theirs.section.name,
                theirs.section.slug,
            )
            if theirs.lead_image is None:
                assert story.lead_image is None
            else:
                assert values(story.lead_image, CARD_IMAGE_FIELDS) == values(theirs.lead_image, CARD_IMAGE_FIELDS)
            assert story.get_absolute_url() == theirs.get_absolute_url()


def shell(article: Article) -> dict:
    """Every value the page's row holds, and its section's, lead picture's and live blog's."""
    live_blog = live_blog_of(article)
    return {
        "article": values(article, [f.attname for f in Article._meta.concrete_fields if f.name != "search_vector"]),
        "deferred": article.get_deferred_fields(),
        "section": values(article.section),
        "lead_image": article.lead_image and values(article.lead_image),
        "live_blog": live_blog and values(live_blog),
    }


def test_the_pages_row_is_read_as_for_page_shell_reads_it(django_assert_num_queries):
    pictured = ArticleFactory(lead_image=ImageFactory(), key_points="One\nTwo", kicker="Live")
    live = LiveBlog.objects.create(article=pictured, frame_origins=["https://player.example"])
    LiveBlog.objects.filter(pk=live.pk).update(closed_at=timezone.now(), summary="<p>Over.</p>")
    plain = ArticleFactory(lead_image=None)

    for article in (pictured, plain):
        expected = Article.objects.published().for_page_shell().get(pk=article.pk)
        with django_assert_num_queries(1):
            loaded = load_article(article.slug)
        with django_assert_num_queries(0):  # its section, picture and live blog came with it
            assert shell(loaded) == shell(expected)
            assert not loaded._state.adding and loaded.section.name
    assert live_blog_of(load_article(pictured.slug)).article is not None
    assert load_article(plain.slug).lead_image is None and live_blog_of(load_article(plain.slug)) is None


def test_only_a_published_article_is_read_for_its_page():
    draft = ArticleFactory(status=Article.Status.DRAFT)
    scheduled = ArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    assert load_article(draft.slug) is None
    assert load_article(scheduled.slug) is None
    assert load_article("no-such-story") is None
