"""The confirmation email through Django's SMTP backend to a real SMTP server on loopback."""

import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from newsletter.models import Newsletter, Subscription
from newsletter.services import subscription_request

pytestmark = pytest.mark.django_db


class Inbox(Message):
    def __init__(self):
        super().__init__(message_class=email.message.EmailMessage)
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_confirmation_mail_goes_through_smtp_and_its_links_work(
    client, settings, smtp_server, django_capture_on_commit_callbacks
):
    controller, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""

    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(email="smtp.reader@example.com", newsletter=Newsletter.objects.get(slug="the-daily"))

    [received] = inbox.messages
    parsed = email.message_from_bytes(received.as_bytes(), policy=email.policy.default)
    assert parsed["To"] == "smtp.reader@example.com"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://[^>]+/newsletter/unsubscribe/[^>]+/>", parsed["List-Unsubscribe"].strip())
    plain = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    assert "Confirm my subscription" in html
    confirm = re.search(r"https?://\S+?(/newsletter/confirm/\S+?/)\s", plain).group(1)
    unsubscribe = re.search(r"<https?://[^/>]+(/newsletter/unsubscribe/[^>]+/)>", parsed["List-Unsubscribe"]).group(1)

    assert client.get(confirm).status_code == 200
    assert Subscription.objects.get().status == "pending"
    assert client.post(confirm).status_code == 200
    assert Subscription.objects.get().status == "active"
    assert client.post(unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert Subscription.objects.get().status == "unsubscribed"


def test_a_mail_server_that_is_down_does_not_break_the_signup(client, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/newsletter/", {"email": "down@example.com"})

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.status == "pending"
    assert subscription.confirmation_sent_at is None  # still owed: the task tries again, and so may the reader
