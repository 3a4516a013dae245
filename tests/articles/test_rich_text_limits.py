"""How deep and how long rich text may be: refused with a clear message on every write path before the sanitiser
sees it (its work grows with the square of the nesting), and a stored text beyond the depth read with its
innermost levels flattened, every word kept, so a page made from it is never slow to make."""

from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import TextField, Value

from articles import sanitize
from articles.models import Article, BodyField
from articles.nesting import MAX_DEPTH, MAX_LENGTH
from articles.rendering import body_blocks
from articles.services import article_save, article_unpublish
from live.models import LiveBlog, LiveUpdate
from live.services import live_blog_close, live_update_save
from tests.admin_forms import article_form, change_url, form_data
from tests.factories import ArticleFactory, AuthorFactory, BylineFactory, SectionFactory
from tests.live.conftest import staff

pytestmark = pytest.mark.django_db

UPDATES = "/admin/live/liveupdate/"
TOO_DEEP = "more than 30 levels"


@pytest.fixture
def live():
    return LiveBlog.objects.create(article=ArticleFactory(headline="Floodwater reaches Kingsmere high street"))


@pytest.fixture
def reporter(live):
    """A journalist on the live story: their signed-in client and their name."""
    client, user = staff("Journalist", "ana")
    author = AuthorFactory(name="Ana Reporter", user=user)
    BylineFactory(article=live.article, author=author)
    return client, author


def nested_list(levels: int, words: str = "Deepest point") -> str:
    """A list in a list… `levels` deep: two elements a level (the list and its item), then a paragraph."""
    return "<ul><li>" * levels + f"<p>{words}</p>" + "</li></ul>" * levels


class _Depth(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag not in {"br", "hr", "img"}:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        self.depth -= 1


def depth_of(html: str) -> int:
    parser = _Depth()
    parser.feed(html)
    return parser.deepest


def rich_text_fields():
    return [
        pytest.param(model, field, id=f"{model.__name__}.{field.name}")
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, BodyField)
    ]


def test_every_rich_text_field_is_covered():
    names = {param.id for param in rich_text_fields()}
    assert {"Article.body", "LiveUpdate.body", "LiveBlog.summary", "Page.body", "Edition.intro"} <= names


@pytest.mark.parametrize(("model", "field"), rich_text_fields())
def test_every_rich_text_field_refuses_a_text_too_deep_or_too_long_in_its_form_and_its_model(model, field):
    too_deep = nested_list(MAX_DEPTH // 2 + 1)  # a level over: 32 elements
    for clean in (field.formfield().clean, lambda value: field.clean(value, model())):
        with pytest.raises(ValidationError, match=TOO_DEEP):
            clean(too_deep)
        with pytest.raises(ValidationError, match="at most 500,000 characters"):
            clean("<p>" + "x" * MAX_LENGTH + "</p>")


def test_the_check_refuses_before_the_sanitiser_is_asked(monkeypatch):
    def never(html):
        raise AssertionError("the sanitiser was asked")

    monkeypatch.setattr(sanitize, "_clean_story", never)
    field = Article._meta.get_field("body")
    with pytest.raises(ValidationError, match=TOO_DEEP):
        field.formfield().clean(nested_list(10_000))
    with pytest.raises(ValidationError, match=TOO_DEEP):
        field.clean(nested_list(10_000), Article())


def test_a_text_as_deep_as_the_limit_is_taken():
    at_the_limit = nested_list(MAX_DEPTH // 2 - 1, "Still fine") + "<p><strong>x</strong></p>"  # 28, and the p: 29
    quote_in_table = (
        '<table data-caption="Results"><tbody><tr><td><blockquote><ul><li><p><strong><em><a href="https://x.test/">'
        "Deep but real</a></em></strong></p></li></ul></blockquote></td></tr></tbody></table>"
    )
    field = Article._meta.get_field("body")
    for text, words in ((at_the_limit, "Still fine"), (quote_in_table, "Deep but real")):
        assert words in field.formfield().clean(text) and words in field.clean(text, Article())
        assert words in ArticleFactory(body=text).body


def test_a_live_update_ten_thousand_deep_is_refused_at_the_form_and_nothing_typed_is_lost(live, reporter):
    ana, ana_author = reporter
    deep = nested_list(10_000, "Water over the kerb")
    assert len(deep) > 180_000

    response = ana.post(
        f"{UPDATES}add/",
        {"live_blog": live.pk, "author": ana_author.pk, "headline": "Quay Street flooded", "body": deep},
    )
    assert response.status_code == 200 and TOO_DEEP in response.text
    assert 'value="Quay Street flooded"' in response.text  # the rest of the form as typed
    assert "Water over the kerb" in response.text  # and the words of the text itself
    assert not LiveUpdate.objects.exists()


def test_an_article_too_deep_is_refused_in_the_admin_with_the_rest_kept(admin_client):
    section = SectionFactory(slug="news")
    data = article_form(section, body=nested_list(5_000, "Every word"), headline="Deep story")
    response = admin_client.post("/admin/articles/article/add/", data)
    assert response.status_code == 200 and TOO_DEEP in response.text
    assert 'value="Deep story"' in response.text and "Every word" in response.text
    assert not Article.objects.exists()


def test_services_refuse_a_text_too_deep_whoever_calls_them(live, reporter):
    _ana, ana_author = reporter
    user = staff("Editor", "eve")[1]
    with pytest.raises(ValidationError, match=TOO_DEEP):
        article_save(article=ArticleFactory.build(body=nested_list(40)), user=user, expected_version=None)
    with pytest.raises(ValidationError, match=TOO_DEEP):
        live_update_save(update=LiveUpdate(live_blog=live, author=ana_author, body=nested_list(40)), user=user)
    assert not LiveUpdate.objects.exists() and Article.objects.count() == 1  # the live blog's story


def test_a_stored_text_too_deep_is_read_flattened_below_the_limit_with_every_word(live, reporter):
    _ana, ana_author = reporter
    update = LiveUpdate.objects.create(live_blog=live, author=ana_author, body="<p>placeholder</p>")
    LiveUpdate.objects.filter(pk=update.pk).update(body=nested_list(10_000, "Bottom of the well"))  # a raw write

    blocks = body_blocks(LiveUpdate.objects.get(pk=update.pk).body)
    assert "Bottom of the well" in "".join(blocks)
    assert max(depth_of(block) for block in blocks) <= MAX_DEPTH


@pytest.mark.parametrize(
    ("hostile", "words"),
    [
        (nested_list(5_000), "Deepest point"),
        ("<b>" * 5_000 + "Bold" + "</b>" * 5_000, "Bold"),
        ('<ul title="</ul>"><li>' * 2_000 + "Quoted", "Quoted"),  # end tags inside attributes close nothing
        ("<!--><ul><li>" * 2_000 + "Comment", "Comment"),  # an empty comment hides nothing
        ("<ul><li><b><table></ul>" * 2_000 + "Table", "Table"),  # an end tag out of its scope
    ],
)
def test_the_sanitiser_flattens_whatever_reaches_it_past_the_limit(hostile, words):
    clean = sanitize.sanitize_story(hostile)
    assert depth_of(clean) <= MAX_DEPTH and words in clean


def stored_as_it_was(row, column: str, text: str) -> None:
    """Write the text as it was stored before the limits: as a plain value, which the field does not sanitise (and
    so flatten to the limit) as it does every value written through it."""
    type(row).objects.filter(pk=row.pk).update(**{column: Value(text, output_field=TextField())})


@pytest.fixture
def stored_too_deep():
    """A published story whose body was stored 40 levels deep before the limit (a raw write, as an old row)."""
    story = ArticleFactory(headline="Old long read", slug="old-long-read")
    stored_as_it_was(story, "body", nested_list(20, "Written before the limit"))
    return Article.objects.get(pk=story.pk)


def test_a_story_stored_too_deep_is_unpublished_published_and_made_top_story_one_or_many_at_a_time(
    client, login_as, stored_too_deep
):
    login_as("Editor")
    other = ArticleFactory(headline="A short one")
    for action, selected in [
        ("unpublish", [stored_too_deep.pk]),
        ("publish_now", [stored_too_deep.pk]),
        ("unpublish", [other.pk, stored_too_deep.pk]),
        ("publish_now", [stored_too_deep.pk, other.pk]),
        ("make_top_story", [stored_too_deep.pk]),
        ("remove_top_story", [stored_too_deep.pk, other.pk]),
        ("make_top_story", [other.pk, stored_too_deep.pk]),
    ]:
        response = client.post("/admin/articles/article/", {"action": action, "_selected_action": selected})
        assert response.status_code == 302, action

    story = Article.objects.get(pk=stored_too_deep.pk)
    assert story.is_live and story.top_story and Article.objects.get(pk=other.pk).top_story
    assert "Written before the limit" in story.body


def test_a_story_stored_too_deep_takes_no_new_text_too_deep_and_says_why(client, login_as, stored_too_deep):
    login_as("Editor")
    edited = nested_list(20, "Edited but still too deep")

    response = client.post(change_url(stored_too_deep), form_data(stored_too_deep, "1", body=edited))

    assert response.status_code == 200 and TOO_DEEP in response.text
    assert "Edited but still too deep" in response.text  # what was typed is on the form again
    assert "Written before the limit" in Article.objects.get(pk=stored_too_deep.pk).body


def test_a_step_that_refuses_a_storys_text_says_so_and_the_others_are_taken(client, login_as, monkeypatch):
    """Each story of a bulk step is a step of its own: the one refused is named, the others are done."""
    import articles.admin

    editor = login_as("Editor")
    first, refused, last = (ArticleFactory(headline=name) for name in ("First story", "Refused story", "Last story"))

    def rewrite_and_unpublish(*, article, user):
        if article.pk == refused.pk:
            article.body = nested_list(20)
            article_save(article=article, user=user, expected_version=article.version)
        return article_unpublish(article=article, user=user)

    monkeypatch.setattr(articles.admin, "article_unpublish", rewrite_and_unpublish)
    response = client.post(
        "/admin/articles/article/",
        {"action": "unpublish", "_selected_action": [first.pk, refused.pk, last.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "“Refused story”:" in response.text and TOO_DEEP in response.text
    assert "2 articles unpublished" in response.text
    assert not Article.objects.get(pk=first.pk).is_live and not Article.objects.get(pk=last.pk).is_live
    assert Article.objects.get(pk=refused.pk).is_live and editor


def test_live_update_and_close_take_a_text_stored_too_deep_that_they_leave_as_it_is(live, reporter):
    _ana, ana_author = reporter
    editor = staff("Editor", "eve")[1]
    update = LiveUpdate.objects.create(live_blog=live, author=ana_author, body="<p>placeholder</p>")
    stored_as_it_was(update, "body", nested_list(20, "Old update"))
    stored_as_it_was(live, "summary", nested_list(20, "Old summary"))

    update = LiveUpdate.objects.get(pk=update.pk)
    update.pinned = True
    live_update_save(update=update, user=editor)
    update.body = nested_list(20, "New and too deep")
    with pytest.raises(ValidationError, match=TOO_DEEP):
        live_update_save(update=update, user=editor)
    live = LiveBlog.objects.get(pk=live.pk)
    live_blog_close(live_blog=live, user=editor, summary=live.summary)

    assert LiveUpdate.objects.get(pk=update.pk).pinned and "Old update" in LiveUpdate.objects.get(pk=update.pk).body
    assert not LiveBlog.objects.get(pk=live.pk).is_open


@pytest.mark.parametrize("around", [MAX_DEPTH - 4, MAX_DEPTH - 3])
def test_a_table_written_without_its_body_counts_the_part_the_parser_adds(around):
    """A row written straight into a table gets a body section from the parser: a text the form takes is one
    the save takes too, never refused later (a 500 in the admin's save) once the sanitiser added the part."""
    text = "<blockquote>" * around + "<table><tr><td>In the cell</td></tr></table>" + "</blockquote>" * around
    form_field = Article._meta.get_field("body").formfield()
    try:
        cleaned = form_field.clean(text)
    except ValidationError as refused:
        assert TOO_DEEP in str(refused) and around == MAX_DEPTH - 3  # table, body, row, cell: 31
        return
    assert around == MAX_DEPTH - 4 and "In the cell" in cleaned
    story = ArticleFactory.build(body=cleaned, section=SectionFactory())
    article_save(article=story, user=staff("Editor", "eve")[1], expected_version=None)
