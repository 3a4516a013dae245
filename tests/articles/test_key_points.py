"""Key points: the story in a few lines at the top, typed one a line in the article's form."""

import pytest

from articles.models import Article
from tests.admin_forms import article_form
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

POINTS = "The river peaked at 4.2 metres at 6pm\n\n  Sandbags at the Corn Exchange until 10pm  \nQuay Street <closed>"


def test_key_points_show_as_a_list_at_the_top_each_line_a_point_escaped(client):
    article = ArticleFactory(key_points=POINTS)

    html = client.get(article.get_absolute_url()).content.decode()

    section = html[html.index('<section class="key-points"') : html.index("</section>", html.index("key-points"))]
    assert '<h2 id="key-points-heading">Key points</h2>' in section
    assert section.count("<li>") == 3
    assert "<li>Sandbags at the Corn Exchange until 10pm</li>" in section
    assert "<li>Quay Street &lt;closed&gt;</li>" in section
    assert html.index("key-points") < html.index('class="article__body"')


def test_a_story_without_key_points_has_no_empty_list(client):
    article = ArticleFactory(key_points="  \n ")
    assert 'class="key-points"' not in client.get(article.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("\n".join(f"Point {n}" for n in range(7)), "7 key points: keep it to 6, one a line."),
        ("Fine\n" + "x" * 251, "Key point 2 is 251 characters long; each may have 250."),
    ],
)
def test_too_many_or_too_long_key_points_are_refused_and_kept_in_the_form(admin_client, points, message):
    response = admin_client.post("/admin/articles/article/add/", article_form(SectionFactory(), key_points=points))

    assert response.status_code == 200
    assert message in response.text
    assert points.splitlines()[-1] in response.text  # what was typed is still there
    assert not Article.objects.exists()


def test_key_points_are_written_in_the_articles_form(admin_client):
    response = admin_client.post(
        "/admin/articles/article/add/", article_form(SectionFactory(), key_points="One\nTwo", status="draft")
    )
    assert response.status_code == 302
    assert Article.objects.get().key_points_list == ["One", "Two"]
