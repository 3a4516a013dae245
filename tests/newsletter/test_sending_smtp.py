"""An edition through Django's SMTP backend to a real SMTP server on loopback: each copy is the message Django
itself would build for that recipient (headers, both parts, the recipient's own links), sent from a template
encoded once per edition."""

import email
import email.policy
import re
from urllib.parse import urlsplit

import pytest

from newsletter.editions import edition_send_now
from newsletter.models import Delivery, Edition, Subscription
from newsletter.rendering import LINK_MARK, UNSUBSCRIBE_MARK, RenderedEdition, frozen
from newsletter.sending import _message, _message_bytes
from newsletter.tokens import read_unsubscribe_token
from tests.factories import ArticleFactory, EditionFactory, SubscriberFactory, SubscriptionFactory
from tests.workers import smtp_in_thread

from .test_mail_smtp import Inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixed_links(monkeypatch):
    """Link tokens carry a timestamp: the same one for both messages compared."""
    original = Subscription.link_token
    tokens = {}
    monkeypatch.setattr(Subscription, "link_token", lambda self: tokens.setdefault(self.pk, original(self)))


@pytest.fixture
def smtp_settings(settings):
    with smtp_in_thread(Inbox(), settings) as inbox:
        yield inbox


def parsed(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def same_message(ours, django) -> None:
    for name in ("Subject", "From", "To", "Message-ID", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert str(ours[name]).strip() == str(django[name]).strip(), name  # Django folds a long one
    for name in ("Precedence", "Auto-Submitted", "MIME-Version"):
        assert ours[name] == django[name], name
    assert ours.get_content_type() == django.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):
        ours_text, django_text = (m.get_body((kind,)).get_content().replace("\r\n", "\n") for m in (ours, django))
        assert ours_text == django_text, kind  # line ends aside: the wire has CRLF, a mailbox may not


def test_every_copy_is_the_message_django_builds_with_its_own_links(
    smtp_settings, fixed_links, django_capture_on_commit_callbacks
):
    SubscriptionFactory.create_batch(3)
    SubscriptionFactory(status="unsubscribed")
    edition = EditionFactory(subject="Ça déborde: the river — and 9 more", articles=[ArticleFactory()])

    with django_capture_on_commit_callbacks(execute=True):
        edition_send_now(edition=edition, user=None)

    edition.refresh_from_db()
    assert (edition.status, edition.sent_count) == (Edition.Status.SENT, 3)
    assert len(smtp_settings.messages) == 3
    rendered = frozen(edition)
    for received in smtp_settings.messages:
        ours = parsed(received.as_bytes())
        delivery = Delivery.objects.select_related("subscription__subscriber").get(
            edition=edition, subscription__subscriber__email=ours["To"]
        )
        django = parsed(_message(edition, rendered, delivery).message().as_bytes(linesep="\r\n"))
        same_message(ours, django)
        url = re.fullmatch(r"<(https?://[^>]+)>", str(ours["List-Unsubscribe"]).strip()).group(1)
        assert url in ours.get_body(("html",)).get_content()
        assert url in ours.get_body(("plain",)).get_content()
        address = urlsplit(url)
        token = address.path.rstrip("/").rsplit("/", 1)[1]
        assert read_unsubscribe_token(token) == delivery.subscription_id
        assert address.query == f"edition={edition.pk}"
        preferences = f"/newsletter/preferences/{token}/"  # the same token, in both parts
        assert preferences in ours.get_body(("html",)).get_content()
        assert preferences in ours.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    "html",
    [
        f'<a href="https://example.com/u/{LINK_MARK}/?edition=1">x</a>',
        f"{LINK_MARK}",
        f'<p>{"long line " * 300}</p>\n<a href="{LINK_MARK}">Unsubscribe</a> \n.\n..dots\n',
        f"trailing space \n{LINK_MARK}\t\n=3D é €\r\n{LINK_MARK}",
    ],
)
def test_the_template_decodes_to_the_personalised_text_whatever_the_body(html, fixed_links):
    subscription = SubscriptionFactory(subscriber=SubscriberFactory(email="x.y@example.com"))
    edition = EditionFactory(articles=[ArticleFactory()])
    delivery = Delivery.objects.create(edition=edition, subscription=subscription)
    rendered = RenderedEdition(subject="Subject", html=html, text=f"Text {LINK_MARK}\n")

    sender, recipient, data = _message_bytes(edition, rendered, delivery)

    assert recipient == "x.y@example.com"
    body = data.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76  # quoted-printable's limit
    django = _message(edition, rendered, delivery).message().as_bytes(linesep="\r\n")  # as the SMTP backend sends it
    same_message(parsed(data), parsed(django))


def test_an_address_that_is_not_ascii_goes_through_djangos_message():
    subscription = SubscriptionFactory(subscriber=SubscriberFactory(email="zoë@example.com"))
    edition = EditionFactory(articles=[ArticleFactory()])
    delivery = Delivery.objects.create(edition=edition, subscription=subscription)
    assert _message_bytes(edition, frozen(edition), delivery) is None
    assert Subscription.objects.count() == 1


def test_an_edition_rendered_before_links_took_a_token_still_gets_each_readers_unsubscribe_link(fixed_links):
    """An edition paused or sending when this version arrived keeps the whole link's old marker."""
    subscription = SubscriptionFactory()
    edition = EditionFactory(articles=[ArticleFactory()])
    edition.rendered_subject = "Subject"
    edition.rendered_html = f'<a href="{UNSUBSCRIBE_MARK}">Unsubscribe</a>'
    edition.rendered_text = f"Unsubscribe: {UNSUBSCRIBE_MARK}\n"
    delivery = Delivery.objects.create(edition=edition, subscription=subscription)

    sender, recipient, data = _message_bytes(edition, frozen(edition), delivery)

    ours = parsed(data)
    same_message(ours, parsed(_message(edition, frozen(edition), delivery).message().as_bytes(linesep="\r\n")))
    assert f"Unsubscribe: {subscription.unsubscribe_url()}" in ours.get_body(("plain",)).get_content()
    assert f'href="{subscription.unsubscribe_url()}"' in ours.get_body(("html",)).get_content()
