"""Corrections of an article readers have seen are a public record: added to, never changed or removed."""

import re

import pytest
from django.db.models import F
from django.utils import timezone

from articles.models import Article, Correction, PublicRecordError
from tests.admin_forms import change_url, form_values
from tests.factories import ArticleFactory, CorrectionFactory

pytestmark = pytest.mark.django_db

FIRST = "An earlier version of this article gave the cost of the bridge as £4m; it is £6m."


def post_the_form(client, article, **changes):
    """Post the article's change form as the page offers it, with `changes` forged in."""
    values = {name: value[0] for name, value in form_values(client.get(change_url(article)).content.decode()).items()}
    return client.post(change_url(article), values | changes)


@pytest.fixture
def corrected(login_as):
    login_as("Editor")
    return CorrectionFactory(article=ArticleFactory(slug="bridge-cost"), text=FIRST)


def test_a_forged_delete_leaves_a_published_correction_on_the_live_page(client, corrected):
    response = post_the_form(client, corrected.article, **{"corrections-0-DELETE": "on"})

    assert response.status_code == 302
    assert Correction.objects.filter(pk=corrected.pk).exists()
    assert FIRST in client.get("/articles/bridge-cost/").content.decode()


def test_a_forged_rewording_leaves_a_published_correction_as_it_was(client, corrected):
    response = post_the_form(client, corrected.article, **{"corrections-0-text": "Nothing was ever wrong."})

    assert response.status_code == 302
    assert Correction.objects.get(pk=corrected.pk).text == FIRST
    html = client.get("/articles/bridge-cost/").content.decode()
    assert FIRST in html and "Nothing was ever wrong." not in html


def test_the_form_shows_published_corrections_read_only_and_takes_a_new_one(client, corrected):
    page = client.get(change_url(corrected.article)).content.decode()
    now = timezone.localtime()

    response = post_the_form(
        client,
        corrected.article,
        **{
            "corrections-TOTAL_FORMS": "2",
            "corrections-1-text": "An earlier correction gave the cost as £6m; it is £6.5m.",
            "corrections-1-published_at_0": now.strftime("%Y-%m-%d"),
            "corrections-1-published_at_1": now.strftime("%H:%M:%S"),
        },
    )

    assert 'name="corrections-0-text"' not in page and 'name="corrections-0-DELETE"' not in page
    assert response.status_code == 302
    assert [c.text for c in Correction.objects.order_by("id")] == [
        FIRST,
        "An earlier correction gave the cost as £6m; it is £6.5m.",
    ]
    html = client.get("/articles/bridge-cost/").content.decode()
    assert FIRST in html and "£6.5m" in html


def test_before_publication_corrections_can_still_be_edited_and_deleted(client, login_as):
    login_as("Editor")
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    kept, dropped = CorrectionFactory(article=draft), CorrectionFactory(article=draft, text="A slip.")

    response = post_the_form(
        client, draft, **{"corrections-0-text": "Reworded before anyone read it.", "corrections-1-DELETE": "on"}
    )

    assert response.status_code == 302
    assert Correction.objects.get(pk=kept.pk).text == "Reworded before anyone read it."
    assert not Correction.objects.filter(pk=dropped.pk).exists()


def test_the_model_refuses_to_change_or_delete_a_published_correction():
    correction = CorrectionFactory(text=FIRST)
    correction.text = "Reworded."

    with pytest.raises(PublicRecordError):
        correction.save()
    with pytest.raises(PublicRecordError):
        Correction.objects.get(pk=correction.pk).delete()
    assert Correction.objects.get(pk=correction.pk).text == FIRST


def test_an_article_unpublished_after_readers_saw_it_keeps_its_corrections(admin_user):
    from articles.services import article_unpublish

    correction = CorrectionFactory()
    article_unpublish(article=correction.article, user=admin_user)

    with pytest.raises(PublicRecordError):
        Correction.objects.get(pk=correction.pk).delete()


def test_an_editor_still_deletes_a_corrected_article_with_its_corrections(client, corrected):
    response = client.post(f"/admin/articles/article/{corrected.article.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Article.objects.exists() and not Correction.objects.exists()


def test_a_save_conflict_does_not_name_the_untouched_published_corrections(client, corrected):
    page = client.get(change_url(corrected.article)).content.decode()
    values = {name: value[0] for name, value in form_values(page).items()}
    Article.objects.filter(pk=corrected.article.pk).update(version=F("version") + 1)  # someone else saved meanwhile

    response = client.post(change_url(corrected.article), values)

    differences = re.search(r"Fields that differ from their version: ([^.]*)\.", response.content.decode()).group(1)
    assert "Corrections" not in differences
