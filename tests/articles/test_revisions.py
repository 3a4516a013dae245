import re

import pytest
from reversion.models import Version

from articles.models import Article, Quote
from tests.admin_forms import form_values
from tests.factories import ArticleFactory, QuoteFactory

pytestmark = pytest.mark.django_db


def save_through_the_admin(client, url, **changes):
    values = form_values(client.get(url).content.decode())
    for name, value in changes.items():
        values[name] = [value]
    response = client.post(url, {name: value[0] if len(value) == 1 else value for name, value in values.items()})
    assert response.status_code == 302, response.content.decode()[:3000]


def test_restoring_an_old_version_brings_back_its_headline_and_quote(admin_client, client):
    article = ArticleFactory(headline="Bridge to close for repairs", tags=["river wend"])
    quote = QuoteFactory(article=article, text="We had no choice.", speaker_name="Ada Marsh")
    change = f"/admin/articles/article/{article.pk}/change/"
    save_through_the_admin(admin_client, change)  # the published version, as first saved in the admin
    save_through_the_admin(
        admin_client,
        change,
        headline="Bridge closure postponed",
        **{"quotes-0-text": "We found another way.", "tags": "transport"},
    )
    assert Article.objects.get().headline == "Bridge closure postponed"

    history = admin_client.get(f"/admin/articles/article/{article.pk}/history/").content.decode()
    first = Version.objects.get_for_object(article).order_by("pk").first()
    assert f"/history/{first.pk}/" in history and "admin" in history
    save_through_the_admin(admin_client, f"/admin/articles/article/{article.pk}/history/{first.pk}/")

    article.refresh_from_db()
    assert article.headline == "Bridge to close for repairs"
    assert Quote.objects.get(pk=quote.pk).text == "We had no choice."
    assert list(article.tags.names()) == ["river wend"]
    assert article.version == 4  # restoring is a new save: the count goes on
    assert "Bridge to close for repairs" in client.get(article.get_absolute_url()).content.decode()


def test_every_save_keeps_a_version_with_who_saved_it(admin_client, admin_user):
    article = ArticleFactory()
    change = f"/admin/articles/article/{article.pk}/change/"

    save_through_the_admin(admin_client, change, headline="One")
    save_through_the_admin(admin_client, change, headline="Two")

    versions = Version.objects.get_for_object(article)
    assert versions.count() == 2
    assert {v.revision.user for v in versions} == {admin_user}
    assert re.search(r"Changed (?:H|h)eadline", versions.first().revision.get_comment())


def first_version(article):
    return Version.objects.get_for_object(article).order_by("pk").first()


def test_journalists_cannot_restore_or_recover(client, login_as, admin_client):
    article = ArticleFactory(headline="Published by an editor")
    save_through_the_admin(admin_client, f"/admin/articles/article/{article.pk}/change/")
    version = first_version(article)
    login_as("Journalist")

    assert client.post(f"/admin/articles/article/{article.pk}/history/{version.pk}/", {}).status_code == 403
    assert client.post(f"/admin/articles/article/recover/{version.pk}/", {}).status_code == 403


def test_restore_and_recover_only_take_versions_of_that_article(admin_client):
    from articles.models import Quote

    article = ArticleFactory()
    other = ArticleFactory()
    QuoteFactory(article=other)
    save_through_the_admin(admin_client, f"/admin/articles/article/{other.pk}/change/")
    quote_version = Version.objects.get_for_model(Quote).first()
    other_version = first_version(other)

    assert admin_client.get(f"/admin/articles/article/{article.pk}/history/{other_version.pk}/").status_code == 404
    assert admin_client.post(f"/admin/articles/article/recover/{quote_version.pk}/", {}).status_code == 404
    assert admin_client.post(f"/admin/articles/article/recover/{other_version.pk}/", {}).status_code == 403


def test_a_restore_keeps_later_corrections_and_the_current_address(admin_client, client):
    from articles.models import Correction

    article = ArticleFactory(slug="first-address")
    change = f"/admin/articles/article/{article.pk}/change/"
    save_through_the_admin(admin_client, change)
    version = first_version(article)
    save_through_the_admin(admin_client, change, slug="second-address")
    Correction.objects.create(article=article, text="A later correction.")

    save_through_the_admin(admin_client, f"/admin/articles/article/{article.pk}/history/{version.pk}/")

    article.refresh_from_db()
    assert article.slug == "first-address"
    assert Correction.objects.filter(article=article).exists()
    assert client.get("/articles/second-address/")["Location"] == "/articles/first-address/"


def test_a_restore_keeps_the_articles_place_among_the_top_stories(admin_client, admin_user):
    from articles.services import article_set_top_story

    article = ArticleFactory(headline="Bridge to close")
    change = f"/admin/articles/article/{article.pk}/change/"
    save_through_the_admin(admin_client, change)
    version = first_version(article)
    article_set_top_story(article=Article.objects.get(pk=article.pk), user=admin_user, top_story=True)

    save_through_the_admin(admin_client, f"/admin/articles/article/{article.pk}/history/{version.pk}/")

    assert Article.objects.get(pk=article.pk).top_story


def test_a_restore_keeps_the_current_embargo(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    change = f"/admin/articles/article/{article.pk}/change/"
    save_through_the_admin(admin_client, change)  # a version without an embargo
    version = first_version(article)
    until = timezone.localtime(timezone.now() + timedelta(days=1)).replace(microsecond=0)
    save_through_the_admin(
        admin_client, change, embargo_until_0=until.strftime("%Y-%m-%d"), embargo_until_1=until.strftime("%H:%M:%S")
    )
    assert Article.objects.get(pk=article.pk).embargo_until == until

    save_through_the_admin(admin_client, f"/admin/articles/article/{article.pk}/history/{version.pk}/")

    assert Article.objects.get(pk=article.pk).embargo_until == until


def test_restoring_a_version_from_before_publication_keeps_the_published_record(admin_client, admin_user):
    from articles.models import Correction, OldSlug, PublicRecordError
    from articles.services import article_publish

    article = ArticleFactory(slug="draft-address", status=Article.Status.DRAFT, published_at=None)
    change = f"/admin/articles/article/{article.pk}/change/"
    save_through_the_admin(admin_client, change)  # a version from before anyone could read it
    version = first_version(article)
    save_through_the_admin(admin_client, change, slug="live-address")
    article_publish(article=Article.objects.get(pk=article.pk), user=admin_user)
    went_out = Article.objects.get(pk=article.pk).first_published_at
    correction = Correction.objects.create(article=article, text="A correction readers have read.")

    save_through_the_admin(admin_client, f"/admin/articles/article/{article.pk}/history/{version.pk}/")

    assert Article.objects.get(pk=article.pk).first_published_at == went_out
    assert OldSlug.objects.filter(slug="live-address", article=article).exists()
    with pytest.raises(PublicRecordError):
        Correction.objects.get(pk=correction.pk).delete()


def test_the_restore_page_shows_the_old_version_beside_the_current_one_escaped(admin_client):
    article = ArticleFactory(headline="<script>alert(1)</script> Old headline")
    change = f"/admin/articles/article/{article.pk}/change/"
    save_through_the_admin(admin_client, change)
    version = first_version(article)
    save_through_the_admin(admin_client, change, headline="New headline")

    page = admin_client.get(f"/admin/articles/article/{article.pk}/history/{version.pk}/").content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; Old headline" in page and "<script>alert(1)" not in page
    assert "New headline" in page and "Restore this version" in page
    assert Article.objects.get(pk=article.pk).headline == "New headline"  # looking changes nothing


def test_a_save_after_the_restore_page_was_opened_stops_the_restore(admin_client, admin_user):
    from articles.services import article_save

    article = ArticleFactory(headline="Then")
    change = f"/admin/articles/article/{article.pk}/change/"
    save_through_the_admin(admin_client, change)
    version = first_version(article)
    restore = f"/admin/articles/article/{article.pk}/history/{version.pk}/"
    values = form_values(admin_client.get(restore).content.decode())
    current = Article.objects.get(pk=article.pk)
    current.headline = "A colleague's newer headline"
    article_save(article=current, user=admin_user, expected_version=current.version)

    response = admin_client.post(restore, {name: value[0] for name, value in values.items()})

    assert response.status_code == 200
    assert "after you opened this page, so nothing was restored" in response.content.decode()
    assert Article.objects.get(pk=article.pk).headline == "A colleague's newer headline"
    values = form_values(response.content.decode())  # the page now carries their version: a second press restores
    assert admin_client.post(restore, {name: value[0] for name, value in values.items()}).status_code == 302
    assert Article.objects.get(pk=article.pk).headline == "Then"


def test_restoring_a_draft_version_of_a_published_story_keeps_it_published(admin_client, admin_user):
    from articles.services import article_publish

    article = ArticleFactory(headline="Draft wording", status=Article.Status.DRAFT, published_at=None)
    change = f"/admin/articles/article/{article.pk}/change/"
    save_through_the_admin(admin_client, change)
    version = first_version(article)
    article_publish(article=Article.objects.get(pk=article.pk), user=admin_user)
    published_at = Article.objects.get(pk=article.pk).published_at

    save_through_the_admin(admin_client, f"/admin/articles/article/{article.pk}/history/{version.pk}/")

    restored = Article.objects.get(pk=article.pk)
    assert (restored.status, restored.published_at, restored.headline) == ("published", published_at, "Draft wording")


def test_the_restore_service_is_for_editors_and_records_who_restored_what(admin_client, admin_user, django_user_model):
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import Group
    from django.core.exceptions import PermissionDenied

    from articles.services import article_restore

    article = ArticleFactory(headline="Then")
    save_through_the_admin(admin_client, f"/admin/articles/article/{article.pk}/change/")
    version = first_version(article)
    journalist = django_user_model.objects.create_user("reporter", password="x", is_staff=True)
    journalist.groups.add(Group.objects.get(name="Journalist"))
    with pytest.raises(PermissionDenied):
        article_restore(article=Article.objects.get(pk=article.pk), version=version, user=journalist)

    Article.objects.filter(pk=article.pk).update(headline="Now")
    article_restore(article=Article.objects.get(pk=article.pk), version=version, user=admin_user)

    assert Article.objects.get(pk=article.pk).headline == "Then"
    logged = LogEntry.objects.filter(object_id=str(article.pk), change_message__startswith="Restored the version")
    assert logged.exists()
    latest = Version.objects.get_for_object(article).first()
    assert latest.revision.user == admin_user and latest.revision.get_comment().startswith("Restored the version")
