"""Two-factor sign-in as an editor meets it in the browser: the password opens the enrolment page, not the back
office; the QR code shows; the code from the key turns it on; the backup codes are shown once; the next sign-in
takes a code, and a backup code works in its place."""

import base64
import re
import time

import pytest
from django.contrib.auth.models import Group, User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"  # noqa: S105 (a test account's)


def next_code(key: str, user) -> str:
    """The code of the first step the device takes next: after the step it last took, and inside its window, which
    its drift moves (a code taken just after its step ended leaves the device one step behind the clock)."""
    device = TOTPDevice.objects.get(user=user)
    now = int(time.time()) // device.step
    return code_from_key(key, steps_ahead=max(device.last_t + 1, now + device.drift) - now)


def code_from_key(key: str, steps_ahead: int = 0) -> str:
    secret = base64.b32decode(re.sub(r"\s", "", key) + "=" * (-len(re.sub(r"\s", "", key)) % 8))
    return f"{totp(secret, drift=steps_ahead):06d}"


def password_step(page: Page, base: str, next_path: str = "/admin/"):
    page.goto(f"{base}{next_path}")
    page.get_by_label("Username").fill("ed")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_editor_sets_up_two_factor_sign_in_and_signs_in_with_a_code(live_server, page: Page, settings):
    settings.STAFF_2FA_REQUIRED = True
    editor = User.objects.create_user("ed", email="ed@newsroom.example", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))

    password_step(page, live_server.url, "/admin/articles/article/")

    expect(page.get_by_role("alert")).to_contain_text("Your role must sign in with a second factor")
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth > 100, () => false)")
    key = page.locator("code").first.inner_text()
    page.goto(f"{live_server.url}/admin/articles/article/")  # the back office is still shut
    expect(page).to_have_url(re.compile(r"/admin/(login|two-factor)/"))
    page.goto(f"{live_server.url}/admin/two-factor/?next=/admin/articles/article/")

    page.get_by_label("Code").fill(code_from_key(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("status")).to_contain_text("Two-factor sign-in is on")
    codes = page.locator(".backup-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page).to_have_url(f"{live_server.url}/admin/articles/article/")
    expect(page.get_by_role("link", name="Two-factor sign-in")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    password_step(page, live_server.url)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(next_code(key, editor))  # not the one enrolment used: each code works once
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Back office")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    password_step(page, live_server.url)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Back office")).to_be_visible()
