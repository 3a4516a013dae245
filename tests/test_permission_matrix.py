"""Each role × each action, through the admin's own views (forged POSTs included): allowed or refused."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.models import Article, Image
from newsletter.models import Edition
from tests.admin_forms import change_url, form_data, inline_management
from tests.factories import (
    ArticleFactory,
    EditionFactory,
    ImageFactory,
    SectionFactory,
    SubscriptionFactory,
    image_bytes,
)

pytestmark = pytest.mark.django_db

LIST = "/admin/articles/article/"


def view(client, user):
    ArticleFactory()
    return client.get(LIST).status_code == 200


def add(client, user):
    section = SectionFactory(slug="news")
    data = {
        "headline": "New",
        "slug": "new",
        "standfirst": "s",
        "body": "<p>b</p>",
        "section": section.pk,
        "status": "draft",
        "tags": "",
        **inline_management(),
    }
    client.post("/admin/articles/article/add/", data)
    return Article.objects.filter(slug="new").exists()


def _edit(client, article):
    client.post(change_url(article), form_data(article, str(article.version), headline="Edited"))
    article.refresh_from_db()
    return article.headline == "Edited"


def change_own(client, user):
    return _edit(client, ArticleFactory(status=Article.Status.DRAFT, published_at=None, created_by=user))


def change_other(client, user):
    return _edit(client, ArticleFactory(status=Article.Status.DRAFT, published_at=None))


def submit(client, user):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, created_by=user)
    client.post(LIST, {"action": "submit_for_review", "_selected_action": [article.pk]})
    article.refresh_from_db()
    return article.status == Article.Status.REVIEW


def publish(client, user):
    article = ArticleFactory(status=Article.Status.REVIEW, published_at=None, created_by=user)
    client.post(change_url(article), {**form_data(article, str(article.version)), "_publish_now": "1"})
    client.post(LIST, {"action": "publish_now", "_selected_action": [article.pk]})
    article.refresh_from_db()
    return article.is_live


def schedule(client, user):
    article = ArticleFactory(status=Article.Status.REVIEW, published_at=None, created_by=user)
    at = timezone.localtime(timezone.now() + timedelta(days=1))
    client.post(
        change_url(article),
        {
            **form_data(article, str(article.version), status="published"),
            "published_at_0": at.strftime("%Y-%m-%d"),
            "published_at_1": at.strftime("%H:%M:%S"),
        },
    )
    article.refresh_from_db()
    return article.is_scheduled


def unpublish(client, user):
    article = ArticleFactory(created_by=user)
    client.post(LIST, {"action": "unpublish", "_selected_action": [article.pk]})
    article.refresh_from_db()
    return not article.is_live


def delete(client, user):
    article = ArticleFactory(created_by=user)
    client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"})
    client.post(LIST, {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"})
    return not Article.objects.filter(pk=article.pk).exists()


def _replace_picture(client, image):
    """A forged POST of the image's change form with a new file and alt text: did either reach the image?"""
    before = (image.file.name, image.alt_text)
    client.post(
        f"/admin/articles/image/{image.pk}/change/",
        {
            "file": SimpleUploadedFile("replaced.jpg", image_bytes(colour=(0, 0, 255)), content_type="image/jpeg"),
            "alt_text": "A replaced picture",
        },
    )
    stored = Image.objects.get(pk=image.pk)
    return (stored.file.name, stored.alt_text) != before


def change_own_unused_image(client, user):
    return _replace_picture(client, ImageFactory(uploaded_by=user))


def change_someone_elses_image(client, user):
    colleague = User.objects.create_user("colleague", is_staff=True)
    return _replace_picture(client, ImageFactory(uploaded_by=colleague))


def change_own_image_on_a_published_article(client, user):
    image = ImageFactory(uploaded_by=user)
    ArticleFactory(lead_image=image, created_by=user)
    return _replace_picture(client, image)


def export_subscribers(client, user):
    SubscriptionFactory()
    response = client.get("/admin/newsletter/subscription/export/")
    return response.status_code == 200 and b"@" in b"".join(response.streaming_content)


EDITIONS = "/admin/newsletter/edition/"


def _edition():
    return EditionFactory(articles=[ArticleFactory(headline="In the edition")])


def view_editions(client, user):
    edition = _edition()
    pages = [EDITIONS, f"{EDITIONS}{edition.pk}/change/", f"{EDITIONS}{edition.pk}/preview/"]
    return all(client.get(page).status_code == 200 for page in pages)


def edit_edition(client, user):
    edition = _edition()
    item = edition.items.get()
    client.post(
        f"{EDITIONS}{edition.pk}/change/",
        {
            "newsletter": edition.newsletter_id,
            "issue_date": edition.issue_date.isoformat(),
            "subject": "Edited subject",
            "preheader": "",
            "intro": "",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "1",
            "items-0-id": item.pk,
            "items-0-edition": edition.pk,
            "items-0-article": item.article_id,
            "items-0-order": "0",
        },
    )
    return Edition.objects.get(pk=edition.pk).subject == "Edited subject"


def _step(client, step, data=None, status=Edition.Status.DRAFT):
    edition = _edition()
    Edition.objects.filter(pk=edition.pk).update(status=status)
    client.post(f"{EDITIONS}{edition.pk}/{step}/", data or {})
    return Edition.objects.get(pk=edition.pk).status


def schedule_edition(client, user):
    return _step(client, "schedule", {"send_at": "2099-01-01T07:00"}) == Edition.Status.SCHEDULED


def send_edition_now(client, user):
    return _step(client, "send-now") == Edition.Status.SENDING


def pause_edition(client, user):
    return _step(client, "pause", status=Edition.Status.SENDING) == Edition.Status.PAUSED


def cancel_edition(client, user):
    return _step(client, "cancel") == Edition.Status.CANCELLED


def send_edition_test(client, user):
    user.email = f"{user.username}@example.com"
    user.save()
    client.post(f"{EDITIONS}{_edition().pk}/send-test/")
    return len(mail.outbox) == 1


AUDIT = "/admin/audit/auditevent/"


def view_audit(client, user):
    return all(client.get(page).status_code == 200 for page in [AUDIT, f"{AUDIT}export/"])


def _enrolled(client, user) -> TOTPDevice:
    """Two-factor sign-in set up through the page, as the person would (required of the roles that must)."""
    client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    client.post("/admin/two-factor/", {"action": "enrol", "token": code})
    return TOTPDevice.objects.get(user=user)


def enrol_two_factor(client, user):
    with override_settings(STAFF_2FA_REQUIRED=True):
        return _enrolled(client, user).confirmed


def turn_off_two_factor(client, user):
    with override_settings(STAFF_2FA_REQUIRED=True):
        _enrolled(client, user)
        client.post("/admin/two-factor/", {"action": "remove"})  # forged where the page offers no button
        return not TOTPDevice.objects.filter(user=user).exists()


def add_a_second_authenticator_with_the_password_alone(client, user):
    """A phished password must not let anyone put their own phone on the account."""
    with override_settings(STAFF_2FA_REQUIRED=True):
        _enrolled(client, user)
        client.post("/admin/logout/")
        client.post("/admin/login/", {"username": user.username, "password": "x"})
        client.get("/admin/two-factor/")
        client.post("/admin/two-factor/", {"action": "enrol", "token": "123456"})
        client.post("/admin/two-factor/", {"action": "codes"})
        return TOTPDevice.objects.filter(user=user).count() > 1 or client.get("/admin/").status_code == 200


MATRIX = {
    # action:            (Journalist, Editor, Audience)
    view: (True, True, False),
    add: (True, True, False),
    change_own: (True, True, False),
    change_other: (False, True, False),
    submit: (True, True, False),
    publish: (False, True, False),
    schedule: (False, True, False),
    unpublish: (False, True, False),
    delete: (False, True, False),
    change_own_unused_image: (True, True, False),
    change_someone_elses_image: (False, True, False),
    change_own_image_on_a_published_article: (False, True, False),
    export_subscribers: (False, False, True),
    view_editions: (False, True, True),
    edit_edition: (False, True, False),
    schedule_edition: (False, True, False),
    send_edition_now: (False, True, False),
    pause_edition: (False, True, False),
    cancel_edition: (False, True, False),
    send_edition_test: (False, True, False),
    view_audit: (False, True, False),
    enrol_two_factor: (True, True, True),
    turn_off_two_factor: (True, False, False),
    add_a_second_authenticator_with_the_password_alone: (False, False, False),
}
ROLES = ["Journalist", "Editor", "Audience"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MATRIX), ids=lambda action: action.__name__)
def test_role_may_or_may_not(client, login_as, role, action):
    user = login_as(role)

    assert action(client, user) is MATRIX[action][ROLES.index(role)]
