"""Password-reset mail and account notices are kept in the database until they are sent: a broker that is down or
hung when they are asked for loses none (the scheduler's sweep sends them), a mail server that is down is tried
again a bounded number of times, and a mail sent twice goes once."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from accounts import outbox
from newsroom import accounts
from newsroom.celery import app
from tests.test_broker_outage import (  # noqa: F401 (fixtures)
    PROMPT,
    _fresh_breakers,
    hung_broker,
    publishing,
    timed,
)
from tests.workers import smtp_in_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return User.objects.create_user("ed", email="ed@newsroom.example", password="a long passphrase", is_staff=True)


def minutes_on(minutes: float):
    return timezone.now() + timedelta(minutes=minutes)


@pytest.mark.usefixtures("hung_broker")
def test_a_reset_asked_while_the_broker_hangs_is_mailed_by_the_sweep(
    client, editor, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://news.example.org"
    with timed() as took, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/password_reset/", {"email": "ed@newsroom.example"})

    assert took["seconds"] < PROMPT
    assert response.status_code == 302 and response["Location"] == "/admin/password_reset/done/"
    assert mail.outbox == []

    outbox.mails_sweep(now=minutes_on(0.5))  # too soon: its own task may still be on the way
    assert mail.outbox == []
    outbox.mails_sweep(now=minutes_on(2))
    outbox.mails_sweep(now=minutes_on(10))

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ed@newsroom.example"]
    assert re.search(r"https://news\.example\.org/admin/reset/\S+/", mail.outbox[0].body)


@pytest.mark.usefixtures("hung_broker")
def test_a_notice_of_a_change_made_while_the_broker_hangs_is_mailed_by_the_sweep(
    editor, django_capture_on_commit_callbacks
):
    with timed() as took, django_capture_on_commit_callbacks(execute=True):
        accounts.backup_codes_issue(user=editor)

    assert took["seconds"] < PROMPT
    assert mail.outbox == []

    outbox.mails_sweep(now=minutes_on(2))
    outbox.mails_sweep(now=minutes_on(10))

    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["ed@newsroom.example"], "New backup codes were made for your account")
    ]


def test_a_mail_sent_twice_goes_once(editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        accounts.backup_codes_issue(user=editor)  # its task runs here (tests/settings.py)
    assert len(callbacks) == 1 and len(mail.outbox) == 1

    callbacks[0]()  # its task queued again, as after a worker lost before acknowledging it
    app.tasks["accounts.tasks.mails_sweep"].apply()
    outbox.mails_sweep(now=minutes_on(60))

    assert len(mail.outbox) == 1


def test_a_reset_for_an_address_no_staff_member_has_sends_nothing_and_is_not_tried_again(client, editor):
    User.objects.create_user("reader", email="reader@example.com", password="a long passphrase")

    for address in ("reader@example.com", "nobody@example.com"):
        assert client.post("/admin/password_reset/", {"email": address}).status_code == 302
    outbox.mails_sweep(now=minutes_on(10))

    assert mail.outbox == []
    assert outbox.mails_unsent() == 0


class TurnsAway:
    """A mail server that answers every message "try again later"."""

    def __init__(self):
        self.tries = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.tries += 1
        return "451 4.3.0 Try again later"


def test_a_mail_the_server_turns_away_is_tried_again_with_back_off_a_bounded_number_of_times(
    client, editor, settings, django_capture_on_commit_callbacks
):
    with smtp_in_thread(TurnsAway(), settings) as server:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/admin/password_reset/", {"email": "ed@newsroom.example"})
        assert response.status_code == 302 and server.tries == 1

        outbox.mails_sweep(now=minutes_on(2))
        outbox.mails_sweep(now=minutes_on(2.5))  # backing off
        assert server.tries == 2

        for ten_minutes in range(1, 72):  # twelve hours of sweeps
            outbox.mails_sweep(now=minutes_on(10 * ten_minutes))

    assert server.tries == outbox.MAX_ATTEMPTS
    assert outbox.mails_unsent() == 1  # given up, and kept a while for whoever asks why
