import pytest

from articles.models import Article
from tests.admin_forms import inline_management
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<p onclick="steal()">Hello <strong>world</strong></p>'
    "<script>alert(1)</script>"
    '<p><a href="javascript:alert(2)">click</a> <a href="https://example.org/report">report</a></p>'
    '<img src="x" onerror="alert(3)">'
    '<iframe src="https://evil.example"></iframe>'
    '<h2 style="color:red">Heading</h2><ul><li>one</li></ul><blockquote><p>quoted</p></blockquote>'
)


def assert_clean(html):
    lowered = html.lower()
    for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<img", "style="):
        assert bad not in lowered, bad
    assert "<strong>world</strong>" in html
    assert '<a href="https://example.org/report"' in html
    assert "<h2>Heading</h2>" in html
    assert "<ul><li>one</li></ul>" in html
    assert "<blockquote><p>quoted</p></blockquote>" in html


def test_body_is_sanitised_when_created_from_code():
    article = ArticleFactory(body=HOSTILE)
    article.refresh_from_db()
    assert_clean(article.body)


def test_body_is_sanitised_on_bulk_create_and_queryset_update():
    section = SectionFactory(slug="news")
    [article] = Article.objects.bulk_create(
        [Article(headline="h", slug="bulk", standfirst="s", section=section, body=HOSTILE)]
    )
    assert_clean(Article.objects.get(slug="bulk").body)

    Article.objects.filter(slug="bulk").update(body=HOSTILE + "<p>again</p>")
    assert_clean(Article.objects.get(slug="bulk").body)

    article = Article.objects.get(slug="bulk")
    article.body = HOSTILE
    Article.objects.bulk_update([article], ["body"])
    assert_clean(Article.objects.get(slug="bulk").body)


def test_body_is_sanitised_through_the_admin_form(admin_client):
    section = SectionFactory(slug="news")
    response = admin_client.post(
        "/admin/articles/article/add/",
        {
            "headline": "Hostile paste",
            "slug": "hostile-paste",
            "standfirst": "Someone pasted a script.",
            "body": HOSTILE,
            "section": section.pk,
            "status": "draft",
            "tags": "",
            **inline_management(),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert_clean(Article.objects.get(slug="hostile-paste").body)


def test_body_is_sanitised_when_loaded_from_a_fixture(tmp_path):
    import json

    from django.core.management import call_command

    section = SectionFactory(slug="news")
    fixture = tmp_path / "import.json"
    fields = {
        "headline": "Imported",
        "slug": "imported",
        "standfirst": "s",
        "section": section.pk,
        "body": HOSTILE,
        "status": "draft",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    fixture.write_text(json.dumps([{"model": "articles.article", "pk": 9001, "fields": fields}]))

    call_command("loaddata", str(fixture), verbosity=0)

    assert_clean(Article.objects.get(slug="imported").body)


WORD_PASTE = (
    '<p class="MsoNormal" style="margin:0cm;font-family:Calibri"><span lang="EN-GB" style="font-size:12pt">'
    "The council <b>voted</b> on Tuesday.<o:p></o:p></span></p>"
    "<!--[if gte mso 9]><xml><w:WordDocument></w:WordDocument></xml><![endif]-->"
    '<p class="MsoListParagraph"><span style="mso-list:Ignore">·</span>First point</p>'
    '<p><span style="color:red" data-docs-internal-guid="x"><a href="https://example.org" '
    'onclick="x()">source</a></span></p>'
)


def test_pasting_from_word_or_google_docs_stores_clean_html():
    article = ArticleFactory(body=WORD_PASTE)
    article.refresh_from_db()

    assert "class=" not in article.body and "style=" not in article.body
    assert "mso" not in article.body.lower() and "<o:p>" not in article.body and "<span" not in article.body
    assert "<!--" not in article.body and "onclick" not in article.body
    assert "The council voted on Tuesday." in article.body
    assert '<a href="https://example.org"' in article.body
