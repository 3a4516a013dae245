import pytest

from articles.models import Article
from articles.services import EditConflict, article_save
from tests.admin_forms import change_url, form_data, opened_version
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_the_second_of_two_saves_gets_a_conflict_and_nothing_of_the_first_is_lost(admin_client):
    article = ArticleFactory(headline="Original headline")
    first_tab = opened_version(admin_client.get(change_url(article)).content.decode())
    second_tab = opened_version(admin_client.get(change_url(article)).content.decode())

    first = admin_client.post(change_url(article), form_data(article, first_tab, headline="First editor's headline"))
    second = admin_client.post(
        change_url(article), form_data(article, second_tab, headline="Second editor's headline", standfirst="Mine too")
    )

    assert first.status_code == 302
    assert second.status_code == 200
    html = second.content.decode()
    assert "after you opened it" in html
    assert "First editor&#x27;s headline" in html  # what the other person saved
    assert 'value="Second editor&#x27;s headline"' in html  # what this person typed, kept
    assert "Mine too" in html
    article.refresh_from_db()
    assert article.headline == "First editor's headline"
    assert article.version == 2


def test_saving_again_after_reading_the_conflict_replaces_the_other_version_knowingly(admin_client):
    article = ArticleFactory()
    stale = opened_version(admin_client.get(change_url(article)).content.decode())
    admin_client.post(change_url(article), form_data(article, stale, headline="Theirs"))
    conflict = admin_client.post(change_url(article), form_data(article, stale, headline="Mine"))

    again = admin_client.post(
        change_url(article), form_data(article, opened_version(conflict.content.decode()), headline="Mine")
    )

    assert again.status_code == 302
    article.refresh_from_db()
    assert (article.headline, article.version) == ("Mine", 3)


def test_the_version_check_is_in_the_database_update(admin_user):
    article = ArticleFactory(headline="Saved")
    stale = Article.objects.get(pk=article.pk)
    article_save(article=article, user=admin_user, expected_version=1)

    stale.headline = "Stale"
    with pytest.raises(EditConflict):
        article_save(article=stale, user=admin_user, expected_version=1)

    article.refresh_from_db()
    assert (article.headline, article.version, article.updated_by) == ("Saved", 2, admin_user)


def test_a_conflict_names_inline_changes_too(admin_client):
    from tests.factories import QuoteFactory

    article = ArticleFactory()
    quote = QuoteFactory(article=article, text="Original words")
    inline = {
        "quotes-TOTAL_FORMS": "1",
        "quotes-INITIAL_FORMS": "1",
        "quotes-0-id": str(quote.pk),
        "quotes-0-article": str(article.pk),
        "quotes-0-text": "Original words",
        "quotes-0-speaker_name": quote.speaker_name,
        "quotes-0-speaker_role": quote.speaker_role,
        "quotes-0-position": str(quote.position),
    }
    admin_client.post(change_url(article), {**form_data(article, "1"), **inline, "quotes-0-text": "A's new words"})

    second = admin_client.post(change_url(article), {**form_data(article, "1", standfirst="B's standfirst"), **inline})

    html = second.content.decode()
    assert "after you opened it" in html and "Quotes" in html and "Standfirst" in html


def test_a_change_form_without_its_version_is_refused(admin_client):
    article = ArticleFactory(headline="Kept")
    data = form_data(article, "1", headline="Forged")
    del data["opened_version"]

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 200 and "old page" in response.content.decode()
    article.refresh_from_db()
    assert article.headline == "Kept"
