from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Correction
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    BylineFactory,
    FigureFactory,
    ImageFactory,
    QuoteFactory,
    RelatedArticleFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def image():
    return ImageFactory()


def rich_article(n: int, image) -> Article:
    """An article with n of everything: bylines, figures, quotes, tags, related picks."""
    body = "".join(f"<p>Paragraph {i}.</p>" for i in range(1, 12))
    article = ArticleFactory(body=body, lead_image=image, tags=[f"tag {i}" for i in range(n)])
    for i in range(n):
        BylineFactory(article=article, author=AuthorFactory(), order=i)
        FigureFactory(article=article, image=image, position=i + 1)
        QuoteFactory(article=article, speaker_name=f"Speaker {i}", position=i + 1)
        Correction.objects.create(article=article, text=f"Correction {i}.")
        RelatedArticleFactory(from_article=article, to_article=ArticleFactory(lead_image=image), order=i)
    return article


def test_article_page_shows_the_whole_story(client, image):
    article = ArticleFactory(
        kicker="Exclusive",
        headline="Footbridge over the Wend approved",
        standfirst="Work starts in spring.",
        body="<p>First.</p><p>Second.</p><p>Third.</p>",
        lead_image=image,
        lead_image_caption="The site of the new bridge",
        lead_image_credit="Jo Finch",
        tags=["river wend", "transport"],
    )
    BylineFactory(article=article, author=AuthorFactory(name="Priya Shah", job_title="Transport correspondent"))
    QuoteFactory(
        article=article, text="It will change the town.", speaker_name="Ada Marsh", speaker_role="Council leader"
    )
    FigureFactory(article=article, image=image, caption="An artist's impression", position=1)
    related = ArticleFactory(headline="Bus station to close for repairs", lead_image=image)
    RelatedArticleFactory(from_article=article, to_article=related)

    response = client.get(article.get_absolute_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count("<h1") == 1
    for text in (
        "Exclusive",
        "Footbridge over the Wend approved",
        "Work starts in spring.",
        "Priya Shah",
        "Transport correspondent",
        "The site of the new bridge",
        "Photo: Jo Finch",
        "It will change the town.",
        "Ada Marsh",
        "Council leader",
        "An artist&#x27;s impression",
        "river wend",
        "Related news",
        "Bus station to close for repairs",
    ):
        assert text in html, text
    assert '<source type="image/webp"' in html
    assert 'srcset="/media/renditions/' in html
    # The figure comes after the first paragraph and the quote after the second.
    assert html.index("First.") < html.index("An artist") < html.index("Second.") < html.index("It will change")
    assert html.index("It will change") < html.index("Third.")


@pytest.mark.parametrize(
    "hidden",
    [
        {"status": Article.Status.DRAFT, "published_at": None},
        {"status": Article.Status.REVIEW},
        {"published_at": timezone.now() + timedelta(hours=3)},
    ],
    ids=["draft", "in review", "scheduled"],
)
def test_unpublished_articles_are_404_and_in_no_list(client, hidden):
    article = ArticleFactory(headline="Secret budget leak", **hidden)

    assert client.get(article.get_absolute_url()).status_code == 404
    assert b"Secret budget leak" not in client.get("/").content
    assert b"Secret budget leak" not in client.get(article.section.get_absolute_url()).content


def test_user_text_is_escaped_everywhere(client, image):
    xss = '<script>alert("x")</script>'
    article = ArticleFactory(headline=f"Headline {xss}", standfirst=f"Stand {xss}", kicker=xss, lead_image=image)
    QuoteFactory(article=article, text=f"Quote {xss}", speaker_name=xss, speaker_role=xss)
    BylineFactory(article=article, author=AuthorFactory(name=xss, job_title=xss))
    image.alt_text = '" onerror="alert(1)'
    image.save()

    for url in ("/", article.get_absolute_url(), article.section.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert 'onerror="alert' not in html


def test_home_page_shows_the_lead_story_and_the_latest(client, image):
    older = ArticleFactory(headline="Older story", published_at=timezone.now() - timedelta(days=2), lead_image=image)
    lead = ArticleFactory(headline="Newest story", lead_image=image)

    html = client.get("/").content.decode()

    assert html.index(lead.headline) < html.index(older.headline)
    assert 'aria-label="Lead story"' in html
    assert lead.standfirst in html


def test_section_page_lists_its_articles_newest_first_and_paginates(client):
    section = SectionFactory(slug="business", name="Business")
    for hours in range(1, 15):
        ArticleFactory(
            section=section,
            headline=f"Business story {hours:02d}",
            published_at=timezone.now() - timedelta(hours=hours),
        )
    ArticleFactory(headline="A news story")

    first = client.get("/sections/business/").content.decode()
    second = client.get("/sections/business/?page=2").content.decode()

    assert first.index("Business story 01") < first.index("Business story 12")
    assert "Business story 13" not in first and "Business story 13" in second
    assert "A news story" not in first
    assert 'rel="next"' in first and 'rel="prev"' in second


@pytest.mark.parametrize("page", ["0", "3", "-1", "abc", "9" * 30, "1.5"])
def test_bad_page_numbers_are_a_404_page_not_an_error(client, page):
    section = SectionFactory(slug="business")
    ArticleFactory(section=section)

    response = client.get(f"/sections/business/?page={page}")

    assert response.status_code == 404
    assert b"find that page" in response.content


def test_last_page_keyword_gives_the_last_page(client):
    section = SectionFactory(slug="business")
    ArticleFactory.create_batch(13, section=section)

    assert client.get("/sections/business/?page=last").context["page_obj"].number == 2


def test_unknown_section_and_article_are_404(client):
    assert client.get("/sections/nope/").status_code == 404
    assert client.get("/articles/nope/").status_code == 404


@pytest.mark.parametrize("n", [1, 10])
def test_article_page_query_count_is_constant(client, django_assert_num_queries, image, n):
    article = rich_article(n, image)
    # 1 article + section + lead image + live blog (articles/loading.py `load_article`), 2 its bylines with their
    # authors, tags, figures with their pictures, quotes and corrections, and related news ranked (editors'
    # picks, articles sharing tags, the newest of the section and of all) with their sections and lead images,
    # in one query (`load_story`). The header and footer are cached. The same whatever the article holds.
    with django_assert_num_queries(2):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert response.content.count(b'class="pull-quote"') == n
    assert response.content.count(b'class="correction"') == n


@pytest.mark.parametrize(("sections", "per_section"), [(1, 8), (4, 12)], ids=["few", "many"])
def test_home_page_query_count_is_constant(client, django_assert_num_queries, image, sections, per_section):
    for s in range(sections):
        section = SectionFactory(slug=f"s{s}")
        for _ in range(per_section):
            article = ArticleFactory(lead_image=image, section=section)
            BylineFactory(article=article)
            BylineFactory(article=article)
    # 1 the ids of the top stories, 2 of the latest of each section (one query, a window function), 3 the
    # stories whose cards are not cached, with sections and lead images, 4 their bylines (when every card is
    # cached, only the first two).
    with django_assert_num_queries(4):
        assert client.get("/").status_code == 200


def test_cards_show_their_bylines_in_order_each_linking_to_the_authors_page(client):
    article = ArticleFactory(section=SectionFactory(slug="business"), headline="Merger agreed", tags=["mergers"])
    zed, amy = AuthorFactory(name="Zed Zane", slug="zed"), AuthorFactory(name="Amy Ames", slug="amy")
    BylineFactory(article=article, author=amy, order=1)
    BylineFactory(article=article, author=zed, order=0)

    for url in ["/", "/sections/business/", "/tags/mergers/", "/authors/amy/"]:
        html = client.get(url).content.decode()
        assert ' · <a href="/authors/zed/">Zed Zane</a>, <a href="/authors/amy/">Amy Ames</a></p>' in html, url


def test_a_card_shows_kicker_headline_standfirst_section_date_and_bylines_escaped(client, settings):
    settings.TIME_ZONE = "Europe/London"
    article = ArticleFactory(
        section=SectionFactory(slug="business", name="Business & <Money>"),
        kicker="Exclusive",
        headline="Tom & Jerry <merge>",
        slug="tom-and-jerry",
        standfirst='The "deal" is done.',
        published_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC),
        lead_image=None,
        tags=["mergers"],
    )
    BylineFactory(article=article, author=AuthorFactory(name="Amy <Ames>", slug="amy"))

    card = (
        '<article class="card">\n  \n  <div class="card__text">\n    <p class="kicker">Exclusive</p>\n'
        '    <h2 class="card__headline"><a href="/articles/tom-and-jerry/">Tom &amp; Jerry &lt;merge&gt;</a></h2>\n'
        '    <p class="standfirst">The &quot;deal&quot; is done.</p>\n'
        '    <p class="card__meta"><a href="/sections/business/">Business &amp; &lt;Money&gt;</a> · '
        '<time datetime="2026-07-02T00:30:00+01:00">2 Jul 2026</time> · '
        '<a href="/authors/amy/">Amy &lt;Ames&gt;</a></p>\n  </div>\n</article>\n'
    )
    assert card in client.get("/tags/mergers/").content.decode()  # headlines under the page's h1
    assert card.replace("h2", "h3") in client.get("/authors/amy/").content.decode()  # under "Stories by …"
    lead = card.replace('"card"', '"card card--lead"').replace(
        '"card__headline"', '"card__headline card__headline--lead"'
    )
    assert lead in client.get("/").content.decode()


def test_only_the_lead_storys_picture_is_fetched_at_once(client, image):
    for _ in range(3):
        ArticleFactory(lead_image=image)

    html = client.get("/").content.decode()

    assert html.count('fetchpriority="high"') == 1
    assert html.count('loading="lazy"') == 2
    assert 'sizes="(min-width: 60rem) 40rem, 100vw"' in html


def test_home_page_has_top_stories_then_the_latest_of_each_section(client):
    from datetime import timedelta

    news, culture = SectionFactory(slug="news", name="News"), SectionFactory(slug="culture", name="Culture")
    for i in range(12):
        ArticleFactory(section=news, headline=f"News {i:02d}", published_at=timezone.now() - timedelta(hours=i))
    ArticleFactory(section=culture, headline="Old review", published_at=timezone.now() - timedelta(days=9))

    context = client.get("/").context

    assert context["lead"].headline == "News 00"
    assert [a.headline for a in context["latest"]] == [f"News {i:02d}" for i in range(1, 7)]
    shown = {section.name: [a.headline for a in articles] for section, articles in context["sections"]}
    assert shown == {"News": ["News 07", "News 08", "News 09", "News 10"], "Culture": ["Old review"]}


@pytest.mark.parametrize("n", [1, 20])
def test_section_page_query_count_is_constant(client, django_assert_num_queries, image, n):
    section = SectionFactory(slug="business")
    for _ in range(n):
        BylineFactory(article=ArticleFactory(section=section, lead_image=image))
    # 1 section, 2 count for the paginator, 3 page of articles, 4 bylines + authors.
    with django_assert_num_queries(4):
        assert client.get("/sections/business/").status_code == 200


def test_pages_have_one_h1_and_headings_that_do_not_skip_a_level(client):
    import re

    section = SectionFactory(slug="business")
    article = ArticleFactory(section=section)
    ArticleFactory(section=section)

    for url in ("/", "/sections/business/", article.get_absolute_url()):
        html = client.get(url).content.decode()
        levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]
        assert levels.count(1) == 1, url
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (url, levels)


@pytest.mark.parametrize("n", [1, 12])
def test_not_found_page_query_count_is_constant(client, django_assert_num_queries, n):
    for i in range(n):
        SectionFactory(slug=f"section-{i}")
    # The one lookup of a standing page (About us, …) by that name; the header and footer are cached.
    with django_assert_num_queries(1):
        assert client.get("/no-such-page/").status_code == 404
