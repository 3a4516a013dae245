"""Guessing passwords is throttled per account and per address, with one message whether or not the account exists;
a forgotten password is reset by email; a changed password ends every other session; idle sessions end."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import outbox
from tests.workers import TurnsAwayFirst, free_port, smtp_in_thread

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unguessable passphrase"  # noqa: S105 (a test account's)


@pytest.fixture
def editor():
    return User.objects.create_user("ed", email="ed@newsroom.example", password=PASSWORD, is_staff=True)


def attempt(client, username, password="wrong", ip="198.51.100.7"):  # noqa: S107 (a wrong one, on purpose)
    return client.post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def hashing():
    """How many times a password was checked (the expensive part of an attempt)."""
    with mock.patch.object(ModelBackend, "authenticate", autospec=True, side_effect=ModelBackend.authenticate) as spy:
        yield spy


def test_five_wrong_passwords_pause_the_account_from_that_address_even_for_the_right_one(
    client, editor, hashing, settings
):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert attempt(client, "ed").status_code == 200  # the form again, with its error

    locked = attempt(client, "ed")  # the fifth
    checked = hashing.call_count
    right = attempt(client, "ed", PASSWORD)  # from the same address, with the right password

    assert locked.status_code == 429 and right.status_code == 429
    assert "signing in is paused for 15 minutes" in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert hashing.call_count == checked, "a paused attempt checks no password"


def test_strangers_elsewhere_cannot_keep_an_account_out(client, editor, settings):
    """The pause is per account and address: guesses from other addresses, however many, leave the owner's alone."""
    for stranger in ("198.51.100.7", "198.51.100.8", "2001:db8::66"):
        for _ in range(settings.LOGIN_FAILURE_LIMIT * 2):
            attempt(Client(), "ed", ip=stranger)
        assert attempt(Client(), "ed", PASSWORD, ip=stranger).status_code == 429

    assert attempt(client, "ed", PASSWORD, ip="203.0.113.9").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_ipv6_address_counts_as_its_64_for_the_account_and_for_the_address(client, editor, settings):
    """One machine holds a whole /64: a new address in it for each guess is still the same guesser."""
    for n in range(1, settings.LOGIN_FAILURE_LIMIT + 1):
        attempt(Client(), "ed", ip=f"2001:db8:5:6::{n:x}")
    settings.LOGIN_FAILURES_PER_IP = 8
    for n in range(8):
        attempt(Client(), f"guess-{n}", ip=f"2001:db8:7:8:{n:x}::1")

    assert attempt(Client(), "ed", PASSWORD, ip="2001:db8:5:6:ffff::99").status_code == 429
    assert attempt(Client(), "someone", ip="2001:db8:7:8:ffff::99").status_code == 429
    assert attempt(client, "ed", PASSWORD, ip="2001:db8:5:7::1").status_code == 302


def test_a_missing_account_is_paused_the_same_way(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        real = attempt(client, "ed", ip="198.51.100.1")
        missing = attempt(client, "nobody-by-this-name", ip="198.51.100.2")

    assert real.status_code == missing.status_code == 429
    strip = lambda response: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())  # noqa: E731
    assert strip(real) == strip(missing)


def test_the_pause_ends_after_the_cool_off(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, "ed")
    assert attempt(client, "ed", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1))

    assert attempt(client, "ed", PASSWORD).status_code == 302


def test_a_right_password_before_the_limit_clears_the_count(client, editor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        attempt(client, "ed")
    assert attempt(client, "ed", PASSWORD).status_code == 302
    Client().post("/admin/logout/")

    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert attempt(Client(), "ed").status_code == 200


def test_an_address_trying_many_accounts_is_paused_but_others_are_not(client, editor, settings, hashing):
    settings.LOGIN_FAILURES_PER_IP = 8
    for number in range(8):
        assert attempt(client, f"guess-{number}", ip="192.0.2.66").status_code == 200

    paused = attempt(client, "ed", PASSWORD, ip="192.0.2.66")
    checked = hashing.call_count
    attempt(client, "ed", PASSWORD, ip="192.0.2.66")

    assert paused.status_code == 429 and "signing in is paused" in paused.content.decode()
    assert hashing.call_count == checked
    assert attempt(Client(), "ed", PASSWORD, ip="192.0.2.67").status_code == 302


def reset_link(client, email) -> str | None:
    before = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):  # as when the request's writes commit
        response = client.post("/admin/password_reset/", {"email": email})
    assert response.status_code == 302 and response["Location"] == "/admin/password_reset/done/"
    if len(mail.outbox) == before:
        return None
    return re.search(r"https?://[^/\s]+(/admin/reset/\S+/)", mail.outbox[-1].body).group(1)


def test_a_forgotten_password_is_reset_by_email_and_the_pause_lifted(client, editor, settings):
    assert "/admin/password_reset/" in client.get("/admin/login/").content.decode()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, "ed")
    elsewhere = Client()
    elsewhere.force_login(editor)

    link = reset_link(client, "ED@newsroom.example")
    form_page = client.get(link, follow=True)
    new = "another long passphrase, only mine"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    assert done.status_code == 302 and done["Location"] == "/admin/reset/done/"
    assert attempt(Client(), "ed", new).status_code == 302, "the pause is lifted by the reset"
    assert elsewhere.get("/admin/").status_code == 302, "the sessions signed in with the old password ended"


def test_a_reset_is_mailed_only_to_staff_and_the_page_says_the_same_either_way(client, editor):
    User.objects.create_user("reader", email="reader@example.com", password=PASSWORD)

    assert reset_link(client, "reader@example.com") is None
    assert reset_link(client, "nobody@example.com") is None
    assert reset_link(client, "ed@newsroom.example") is not None


def test_reset_mails_are_limited(client, editor, settings):
    links = [reset_link(Client(), "ed@newsroom.example") for _ in range(5)]
    assert sum(link is not None for link in links) == 3

    settings.PASSWORD_RESETS_PER_HOUR = 2
    for number in range(3):
        reset_link(client, f"someone{number}@example.com")
    User.objects.create_user("other", email="other@newsroom.example", password=PASSWORD, is_staff=True)
    assert reset_link(client, "other@newsroom.example") is None


@pytest.fixture
def tasks_run():
    """Each task run (eagerly, tests/settings.py): its name and arguments, the mail it sent, and the queries it made
    (by their place among those a CaptureQueriesContext sees)."""
    from celery.signals import task_postrun, task_prerun

    ran = []

    def before(task, args, **kwargs):
        ran.append({"name": task.name, "args": tuple(args), "outbox": len(mail.outbox)})
        ran[-1]["queries"] = len(connection.queries_log)

    def after(task, **kwargs):
        ran[-1]["sent"] = len(mail.outbox) - ran[-1]["outbox"]
        ran[-1]["queries"] = range(ran[-1]["queries"], len(connection.queries_log))

    task_prerun.connect(before, weak=False)
    task_postrun.connect(after, weak=False)
    yield ran
    task_prerun.disconnect(before)
    task_postrun.disconnect(after)


def test_the_reset_link_is_on_site_url_whatever_host_the_request_names(
    client, editor, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://news.example.org"
    settings.ALLOWED_HOSTS = [".example.org"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/password_reset/", {"email": "ed@newsroom.example"}, HTTP_HOST="attacker.example.org:6666"
        )

    assert response.status_code == 302
    link = re.search(r"\S+/admin/reset/\S+/", mail.outbox[-1].body).group(0)
    assert link.startswith("https://news.example.org/admin/reset/")
    assert "attacker" not in mail.outbox[-1].body


def test_a_reset_is_mailed_by_a_queued_task_and_the_request_does_the_same_for_any_address(
    client, editor, tasks_run, django_capture_on_commit_callbacks
):
    client.get("/admin/password_reset/")  # what any first request of a process reads
    answers, request_side = [], []
    for email in ("ed@newsroom.example", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            answers.append(client.post("/admin/password_reset/", {"email": email}))
        in_task = set(tasks_run[-1]["queries"])
        first = queries.initial_queries
        sql = [q["sql"] for n, q in enumerate(queries.captured_queries, first) if n not in in_task]
        literals = r"'[^']*'|\"s\d+_x\d+\""  # the address and time typed, a savepoint's name
        request_side.append([re.sub(literals, "…", one) for one in sql])

    assert [(task["name"], task["sent"]) for task in tasks_run] == [
        ("accounts.tasks.mail_send", 1),
        ("accounts.tasks.mail_send", 0),
    ]
    assert [(a.status_code, a["Location"]) for a in answers] == [(302, "/admin/password_reset/done/")] * 2
    assert request_side[0] == request_side[1]
    assert not any("auth_user" in sql for sql in request_side[0]), "who has the address is asked by the task only"


def test_a_reset_mail_the_server_turned_away_is_tried_again(
    client, editor, settings, django_capture_on_commit_callbacks
):
    with smtp_in_thread(TurnsAwayFirst(), settings) as server:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/admin/password_reset/", {"email": "ed@newsroom.example"})
        outbox.mails_sweep(now=timezone.now() + timedelta(minutes=2))  # the scheduler's sweep

    assert response.status_code == 302
    assert server.tries == 2 and "/admin/reset/" in server.delivered[0]


def test_a_dead_mail_server_does_not_fail_the_reset_page(client, editor, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()

    response = client.post("/admin/password_reset/", {"email": "ed@newsroom.example"})

    assert response.status_code == 302 and response["Location"] == "/admin/password_reset/done/"


def test_changing_the_password_ends_every_other_session(editor):
    here, elsewhere = Client(), Client()
    here.force_login(editor)
    elsewhere.force_login(editor)
    new = "another long passphrase, only mine"

    response = here.post(
        "/admin/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200, "the session that changed it goes on"
    assert elsewhere.get("/admin/").status_code == 302


def test_an_idle_session_ends_and_a_working_one_goes_on(client, editor, settings):
    client.force_login(editor)
    session = Session.objects.get()
    assert abs((session.expire_date - timezone.now()).total_seconds() - settings.STAFF_IDLE_MINUTES * 60) < 60

    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=5))
    store = client.session
    store["_touched"] = 0  # last moved on long ago
    store.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get("/admin/keep-alive/").status_code == 204
    moved = Session.objects.get().expire_date - timezone.now()
    assert moved > timedelta(minutes=settings.STAFF_IDLE_MINUTES - 1), "activity moves the end on"

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/admin/").status_code == 302


def test_the_list_of_failed_sign_ins_clears_those_past_the_pause(admin_client, settings):
    seen = {"user_agent": "Firefox", "ip_address": "198.51.100.7", "http_accept": "*/*", "path_info": "/admin/login/"}
    old = AccessAttempt.objects.create(username="ed", get_data="", post_data="", failures_since_start=5, **seen)
    recent = AccessAttempt.objects.create(username="jo", get_data="", post_data="", failures_since_start=1, **seen)
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)

    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "cleanup_expired_attempts", "_selected_action": [recent.pk], "index": "0"},
    )

    assert response.status_code == 302
    assert list(AccessAttempt.objects.all()) == [recent]
