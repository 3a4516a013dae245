"""The sending engine in one process, against a real SMTP server on loopback (aiosmtpd in a thread)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from newsletter import sending
from newsletter.models import Delivery, Edition, SendRate, Subscriber, Suppression
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory
from tests.workers import free_port, smtp_in_thread

pytestmark = pytest.mark.django_db


class Server:
    """Accepts everything, except addresses in `refuse` (with that reply)."""

    def __init__(self):
        self.refuse: dict[str, str] = {}
        self.received: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        for part, reply in self.refuse.items():
            if part in address:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received += envelope.rcpt_tos
        return "250 Message accepted"


@pytest.fixture
def smtp(settings):
    with smtp_in_thread(Server(), settings) as handler:
        yield handler


def sending_edition(subscribers: int):
    """An edition that has started sending, with nobody working on it yet."""
    subscriptions = SubscriptionFactory.create_batch(subscribers)
    edition = EditionFactory(articles=[ArticleFactory()])
    sending.edition_start(edition)  # outside a transaction the on-commit hook runs at once: stop it
    return Edition.objects.get(pk=edition.pk), subscriptions


@pytest.fixture(autouse=True)
def _no_senders(monkeypatch):
    """The test drives the engine itself; nothing is queued."""
    monkeypatch.setattr(sending, "senders_enqueue", lambda *args, **kwargs: None)


def test_a_batch_abandoned_by_a_dead_worker_is_taken_over_after_its_lease_sending_only_the_rest(smtp, settings):
    settings.NEWSLETTER_BATCH_SIZE = 10
    edition, subscriptions = sending_edition(6)
    lease, claimed = sending.batch_claim(edition.pk, 10)
    # The dead worker had sent two messages and recorded them before it died.
    for delivery in claimed[:2]:
        sending._record(delivery, lease, Delivery.Status.SENT)

    assert sending.batch_send(edition.pk) is False  # all leased: nothing to take yet
    Delivery.objects.filter(lease=lease).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    while sending.batch_send(edition.pk):
        pass

    assert sorted(smtp.received) == sorted(s.subscriber.email for s in subscriptions[2:])
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_a_permanent_refusal_fails_that_row_and_a_temporary_one_is_tried_again_later(smtp):
    edition, subscriptions = sending_edition(3)
    gone, busy = subscriptions[0].subscriber.email, subscriptions[1].subscriber.email
    smtp.refuse = {gone: "550 5.1.1 No such user", busy: "451 4.2.0 Try again later"}

    sending.edition_send(edition.pk)

    assert Delivery.objects.get(subscription=subscriptions[0]).status == "failed"
    assert Delivery.objects.get(subscription=subscriptions[0]).error == "550 5.1.1 No such user"
    waiting = Delivery.objects.get(subscription=subscriptions[1])
    assert waiting.status == "pending" and waiting.error.startswith("451")
    assert waiting.lease_until > timezone.now()  # backing off
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENDING

    smtp.refuse = {}
    Delivery.objects.filter(pk=waiting.pk).update(lease_until=timezone.now())
    sending.edition_send(edition.pk)

    assert smtp.received.count(busy) == 1
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert (edition.sent_count, edition.failed_count) == (2, 1)


def test_an_edition_whose_failures_pass_the_threshold_pauses_itself_and_says_why(smtp, settings):
    settings.NEWSLETTER_BATCH_SIZE = 20
    edition, _ = sending_edition(100)
    smtp.refuse = {"@example.com": "550 5.7.1 Rejected for policy reasons"}

    sending.edition_send(edition.pk)

    edition.refresh_from_db()
    assert edition.status == Edition.Status.PAUSED
    assert "refused by the mail server" in edition.paused_reason
    assert Delivery.objects.filter(edition=edition, status="pending").exists()  # what is left waits


def test_a_mail_server_that_stays_down_pauses_the_edition(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    edition, _ = sending_edition(2)

    for _ in range(sending.MAX_ATTEMPTS):
        sending.edition_send(edition.pk)
        Delivery.objects.update(lease_until=None)  # the back-off has passed

    edition.refresh_from_db()
    assert edition.status == Edition.Status.PAUSED
    assert "could not be reached" in edition.paused_reason
    assert not Delivery.objects.filter(status="sent").exists()


def test_the_rate_limit_holds_across_workers(monkeypatch):
    clock = {"now": 1_000_000.25}
    monkeypatch.setattr(sending.time, "time", lambda: clock["now"])
    monkeypatch.setattr(sending.time, "sleep", lambda seconds: clock.update(now=clock["now"] + seconds))
    first, second = sending.RateLimit(10), sending.RateLimit(10)  # two workers, one shared counter

    assert first.take(8) == 8
    assert second.take(8) == 1  # what is left of this second, one at a time
    assert second.take(1) == 1
    assert SendRate.objects.get(second=1_000_000).used == 10
    assert first.take(5) == 5  # waited for the next second
    assert clock["now"] >= 1_000_001


def test_sending_with_the_default_backend_counts_every_message(django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.undo()  # this one goes through the queue (eager in the tests)
    from newsletter.editions import edition_send_now

    SubscriptionFactory.create_batch(3)
    edition = EditionFactory(articles=[ArticleFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        edition_send_now(edition=edition, user=None)

    assert len(mail.outbox) == 3
    assert Edition.objects.get(pk=edition.pk).sent_count == 3


def test_a_hard_bounce_of_an_address_stored_before_addresses_were_checked_fails_only_that_row(smtp, recorded):
    edition, subscriptions = sending_edition(2)
    Subscriber.objects.filter(pk=subscriptions[0].subscriber_id).update(email="gone..twice@example.com")
    smtp.refuse = {"gone..twice@": "550 5.1.1 No such user"}
    recorder = recorded("newsletter.sending")

    sending.edition_send(edition.pk)

    assert Delivery.objects.get(subscription=subscriptions[0]).status == "failed"
    assert not Suppression.objects.exists()  # it is not an address: nothing to put on the list
    assert [record.levelname for record in recorder.records] == ["WARNING"]
    edition.refresh_from_db()
    assert (edition.status, edition.sent_count, edition.failed_count) == (Edition.Status.SENT, 1, 1)
