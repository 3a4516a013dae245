"""Staff sign-in with a second factor: a password alone opens nothing where one is needed, enrolment works from a QR
code, backup codes work once, and the steps are what a person would meet."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import outbox
from articles.models import Article
from audit.models import AuditEvent
from newsroom import accounts
from tests.factories import ArticleFactory
from tests.workers import TurnsAwayFirst, smtp_in_thread

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unguessable passphrase"  # noqa: S105 (a test account's)


@pytest.fixture(autouse=True)
def _required(settings):
    settings.STAFF_2FA_REQUIRED = True


def staff(role: str | None, username: str = "", **extra) -> User:
    user = User.objects.create_user(
        username or (role or "superuser").lower(),
        email=f"{username or role or 'superuser'}@newsroom.example".lower(),
        password=PASSWORD,
        is_staff=True,
        is_superuser=role is None,
        **extra,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def sign_in(client, user, next_url="/admin/"):
    data = {"username": user.username, "password": PASSWORD, "next": next_url}
    return client.post(f"/admin/login/?next={next_url}", data)


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{code:0{device.digits}d}"


def after_the_wait(user) -> None:
    """Each wrong code makes the next wait 1, 2, 4… seconds; a person takes longer than that to type again."""
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def enrol(client) -> list[str]:
    """Set up the authenticator through the pages, as a person does; returns the backup codes shown."""
    page = client.get("/admin/two-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post("/admin/two-factor/", {"action": "enrol", "token": code_for(device), "next": "/admin/"})
    assert response.status_code == 200, response.content.decode()[:2000]
    return re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())


ADMIN_PAGES = [
    "/admin/",
    "/admin/articles/article/",
    "/admin/articles/article/add/",
    "/admin/newsletter/subscriber/",
    "/admin/password_change/",
    "/admin/keep-alive/",
    "/admin/jsi18n/",
    "/admin/autocomplete/?app_label=articles&model_name=article&field_name=lead_image",
    "/admin/articles/article/tags/suggest/?q=a",
]


@pytest.mark.parametrize("role", [None, "Editor", "Audience"])
def test_a_password_alone_opens_nothing_for_the_roles_that_must_use_a_second_factor(client, role):
    user = staff(role)
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    response = sign_in(client, user, "/admin/articles/article/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/two-factor/?next=")
    for url in [*ADMIN_PAGES, f"/admin/articles/article/{article.pk}/change/"]:
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/admin/"), url
        assert "/login/" in answer["Location"] or "/two-factor/" in answer["Location"], url
    forged = {"action": "publish_now", "_selected_action": [article.pk]}
    assert client.post("/admin/articles/article/", forged).status_code == 302
    assert Article.objects.get(pk=article.pk).status == Article.Status.DRAFT


def test_enrolment_shows_a_qr_code_and_the_key_then_a_right_code_turns_it_on(
    client, django_capture_on_commit_callbacks
):
    editor = staff("Editor")
    sign_in(client, editor)

    page = client.get("/admin/two-factor/").content.decode()

    assert 'src="data:image/svg+xml' in page and "Can’t scan it?" in page
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    assert re.sub(r"\s", "", re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1)) in device.config_url
    assert TOTPDevice.objects.filter(user=editor).count() == 1, "a reload shows the same secret"
    wrong = client.post("/admin/two-factor/", {"action": "enrol", "token": "000000"})
    assert wrong.status_code == 400 and "did not work" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=editor, confirmed=True).exists()
    after_the_wait(editor)

    with django_capture_on_commit_callbacks(execute=True):
        codes = enrol(client)

    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/articles/article/").status_code == 200
    assert mail.outbox[-1].to == [editor.email] and "turned on" in mail.outbox[-1].subject
    assert AuditEvent.objects.filter(action="2fa_enrolled", actor=editor).exists()


def test_after_enrolment_signing_in_takes_a_code(client):
    editor = staff("Editor")
    sign_in(client, editor)
    enrol(client)
    client.post("/admin/logout/")

    response = sign_in(client, editor, "/admin/articles/article/")
    assert response["Location"] == "/admin/two-factor/verify/?next=%2Fadmin%2Farticles%2Farticle%2F"
    assert client.get("/admin/articles/article/").status_code == 302
    assert client.get("/admin/two-factor/").status_code == 302, "no new authenticator with a password alone"
    wrong = client.post("/admin/two-factor/verify/", {"token": "123456", "next": "/admin/articles/article/"})
    assert wrong.status_code == 400 and "did not work" in wrong.content.decode()
    after_the_wait(editor)

    device = TOTPDevice.objects.get(user=editor)
    right = client.post("/admin/two-factor/verify/", {"token": code_for(device, 1), "next": "/admin/articles/article/"})

    assert right.status_code == 302 and right["Location"] == "/admin/articles/article/"
    assert client.get("/admin/articles/article/").status_code == 200


def test_a_backup_code_works_once(client):
    editor = staff("Editor")
    sign_in(client, editor)
    codes = enrol(client)
    client.post("/admin/logout/")

    sign_in(client, editor)
    assert client.post("/admin/two-factor/verify/", {"token": codes[0]}).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout/")

    sign_in(client, editor)
    again = client.post("/admin/two-factor/verify/", {"token": codes[0]})
    assert again.status_code == 400
    assert client.get("/admin/").status_code == 302
    assert StaticToken.objects.filter(device__user=editor).count() == 9


def test_new_backup_codes_replace_the_old_ones(client):
    editor = staff("Editor")
    sign_in(client, editor)
    old = enrol(client)

    page = client.post("/admin/two-factor/", {"action": "codes"}).content.decode()

    new = re.findall(r"<li><code>(\w+)</code></li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=editor).values_list("token", flat=True)) == set(new)
    assert AuditEvent.objects.filter(action="backup_codes_issued", actor=editor).count() == 1


def test_journalists_may_sign_in_with_a_password_and_may_turn_a_second_factor_on_and_off(client):
    journalist = staff("Journalist")
    sign_in(client, journalist)
    assert client.get("/admin/").status_code == 200

    enrol(client)
    client.post("/admin/logout/")
    sign_in(client, journalist)
    assert client.get("/admin/").status_code == 302, "once on, it is needed"
    client.post("/admin/two-factor/verify/", {"token": code_for(TOTPDevice.objects.get(user=journalist), 1)})

    client.post("/admin/two-factor/", {"action": "remove"})

    assert not TOTPDevice.objects.filter(user=journalist).exists()
    assert AuditEvent.objects.filter(action="2fa_removed", actor=journalist).exists()
    client.post("/admin/logout/")
    sign_in(client, journalist)
    assert client.get("/admin/").status_code == 200


def test_a_role_that_must_cannot_turn_it_off(client):
    editor = staff("Editor")
    sign_in(client, editor)
    enrol(client)

    page = client.get("/admin/two-factor/").content.decode()
    client.post("/admin/two-factor/", {"action": "remove"})

    assert "cannot be turned off" in page
    assert TOTPDevice.objects.filter(user=editor, confirmed=True).exists()


def test_without_the_requirement_a_password_opens_the_back_office_for_every_role(client, settings):
    settings.STAFF_2FA_REQUIRED = False
    sign_in(client, staff("Editor"))
    assert client.get("/admin/").status_code == 200


def test_signing_out_needs_no_second_factor(client):
    sign_in(client, staff("Editor"))
    response = client.post("/admin/logout/")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_two_factor_pages_are_for_signed_in_staff_only(client):
    for url in ["/admin/two-factor/", "/admin/two-factor/verify/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url


def test_a_next_address_elsewhere_is_not_followed_after_the_code(client):
    journalist = staff("Journalist")
    sign_in(client, journalist)
    enrol(client)
    client.post("/admin/logout/")
    sign_in(client, journalist)
    device = TOTPDevice.objects.get(user=journalist)

    response = client.post("/admin/two-factor/verify/", {"token": code_for(device, 1), "next": "https://evil.example/"})

    assert response["Location"] == "/admin/"


def test_the_admin_shows_nobody_a_second_factors_secret(client, settings):
    settings.STAFF_2FA_REQUIRED = False  # the superuser reads the device pages with a password alone
    device = TOTPDevice.objects.create(user=staff("Editor"), name="Authenticator app", confirmed=True)
    client.force_login(staff(None))

    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")

    assert page.status_code == 200 and device.key not in page.text
    for pk in (device.pk, device.pk + 1):  # a device, and an id naming none (django-otp answered that with a 500)
        assert client.get(f"/admin/otp_totp/totpdevice/{pk}/config/").status_code == 403
        assert client.get(f"/admin/otp_totp/totpdevice/{pk}/qrcode/").status_code == 403


def test_a_notice_the_mail_server_turned_away_is_tried_again(settings, django_capture_on_commit_callbacks):
    user = staff(None)

    with smtp_in_thread(TurnsAwayFirst(), settings) as server:
        with django_capture_on_commit_callbacks(execute=True):
            accounts.backup_codes_issue(user=user)
        outbox.mails_sweep(now=timezone.now() + timedelta(minutes=2))  # the scheduler's sweep

    assert server.tries == 2 and "New backup codes were made for your account" in server.delivered[0]
