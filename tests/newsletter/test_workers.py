"""Sending with real worker processes on real brokers (Redis, RabbitMQ, the embedded one) to a real SMTP
server in another process: exactly one message per active subscriber, even when workers are killed."""

import collections
import datetime

import pytest
from django.utils import timezone

from newsletter.models import Delivery, Edition, Subscription
from newsletter.services import subscription_request, subscriptions_unsubscribe
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory
from tests.workers import Sink, Workers, broker_param, free_port, publishing_to, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.workers]

BROKERS = [broker_param(name) for name in ("embedded", "redis", "rabbitmq")]


@pytest.fixture
def sink(tmp_path, request):
    marker = request.node.get_closest_marker("sink")
    server = Sink(tmp_path / "maildir", **(marker.kwargs if marker else {}))
    yield server
    server.stop()


@pytest.fixture
def workers(request, tmp_path, sink):
    group = Workers(request.param, tmp_path, sink.port)
    yield group
    group.stop_all()


def edition_for(subscribers: int, **kwargs):
    active = SubscriptionFactory.create_batch(subscribers)
    edition = EditionFactory(articles=[ArticleFactory(), ArticleFactory()], **kwargs)
    return edition, active


def edition_status(edition):
    return Edition.objects.values_list("status", flat=True).get(pk=edition.pk)


def message_ids(messages):
    return collections.Counter(message["Message-ID"] for message in messages)


@pytest.mark.parametrize("workers", BROKERS, indirect=True)
def test_every_active_subscriber_gets_the_edition_once_and_nobody_else(workers, sink):
    edition, active = edition_for(12)
    SubscriptionFactory(status="pending", confirmed_at=None)
    SubscriptionFactory(status="unsubscribed")
    workers.start()

    out = workers.manage("send_edition", str(edition.pk), "--now")

    assert out.strip().splitlines()[-1] == str(edition.pk)
    wait_for(lambda: edition_status(edition) == "sent", timeout=60, what="the edition to be sent", workers=workers)
    messages = sink.messages()
    assert sorted(m["To"] for m in messages) == sorted(s.subscriber.email for s in active)
    assert all(count == 1 for count in message_ids(messages).values())
    edition.refresh_from_db()
    assert (edition.recipient_count, edition.sent_count, edition.failed_count) == (12, 12, 0)


@pytest.mark.sink(SMTP_SINK_DELAY=0.15)
@pytest.mark.parametrize("workers", [broker_param("embedded")], indirect=True)
def test_a_reader_who_unsubscribes_during_the_send_gets_nothing_more(workers, sink):
    edition, active = edition_for(30)
    last = active[-1]
    workers.start(concurrency=1)
    workers.manage("send_edition", str(edition.pk), "--now")
    wait_for(lambda: sink.count() >= 3, timeout=60, what="the first messages", workers=workers)

    subscriptions_unsubscribe(subscriptions=Subscription.objects.filter(pk=last.pk))

    wait_for(lambda: edition_status(edition) == "sent", timeout=90, what="the edition to be sent", workers=workers)
    received = [m["To"] for m in sink.messages()]
    assert last.subscriber.email not in received
    assert len(received) == 29
    assert Delivery.objects.get(subscription=last).status == Delivery.Status.SKIPPED


@pytest.mark.sink(SMTP_SINK_DELAY=0.1)
@pytest.mark.parametrize("workers", BROKERS, indirect=True)
def test_killed_workers_lose_nobody_and_double_at_most_one_message_per_kill(workers, sink):
    """SIGKILL at three points: with a batch claimed and nothing sent, in the middle of an SMTP conversation,
    and just as the server accepted a message (before or after its row is recorded)."""
    edition, active = edition_for(40)
    worker = workers.start()
    workers.manage("send_edition", str(edition.pk), "--now")
    kills = 0

    # 1. A batch is claimed and nothing of it has been sent yet.
    wait_for(
        lambda: Delivery.objects.filter(edition=edition, lease__isnull=False).exists(),
        timeout=60,
        what="a claimed batch",
        workers=workers,
        every=0.01,
    )
    workers.kill(worker)
    kills += 1
    worker = workers.start()

    # 2. In the middle of a conversation: the server is pausing after RCPT, before the message's data.
    sent_before = sink.count()
    wait_for(
        lambda: Delivery.objects.filter(edition=edition, status="sent").count() > sent_before + 2,
        timeout=60,
        what="sending to resume",
        workers=workers,
        every=0.02,
    )
    workers.kill(worker)
    kills += 1
    worker = workers.start()

    # 3. The moment the server has accepted a new message.
    accepted = sink.count()
    wait_for(lambda: sink.count() > accepted, timeout=60, what="a message accepted", workers=workers, every=0.005)
    workers.kill(worker)
    kills += 1
    workers.start()

    wait_for(lambda: edition_status(edition) == "sent", timeout=120, what="the edition to be sent", workers=workers)
    messages = sink.messages()
    ids = message_ids(messages)
    expected = {f"<edition-{edition.pk}.{s.pk}@" for s in active}
    assert {message_id.split("@")[0] + "@" for message_id in ids} == expected  # everyone got it
    duplicates = sum(count - 1 for count in ids.values())
    print(f"{kills} kills, {len(messages)} messages for {len(active)} recipients, {duplicates} duplicates")
    assert duplicates <= kills
    assert sorted(set(m["To"] for m in messages)) == sorted(s.subscriber.email for s in active)
    edition.refresh_from_db()
    assert edition.sent_count == 40 and edition.failed_count == 0


@pytest.mark.sink(SMTP_SINK_REFUSE="bounce")
@pytest.mark.parametrize("workers", [broker_param("embedded")], indirect=True)
def test_a_permanent_refusal_marks_that_row_failed_with_the_reason(workers, sink):
    edition, active = edition_for(4)
    refused = SubscriptionFactory(subscriber__email="bounce@example.com")
    workers.start()
    workers.manage("send_edition", str(edition.pk), "--now")

    wait_for(lambda: edition_status(edition) == "sent", timeout=60, what="the edition to be sent", workers=workers)
    failed = Delivery.objects.get(subscription=refused)
    assert failed.status == Delivery.Status.FAILED
    assert failed.error.startswith("550")
    assert sink.count() == 4


@pytest.mark.parametrize("workers", BROKERS, indirect=True)
def test_the_confirmation_email_goes_through_the_queue(workers, sink, the_daily):
    workers.start(concurrency=1)
    with publishing_to(workers):
        subscription_request(email="queued.reader@example.com", newsletter=the_daily)

    wait_for(lambda: sink.count() == 1, timeout=60, what="the confirmation email", workers=workers)
    [message] = sink.messages()
    assert message["To"] == "queued.reader@example.com"
    assert Subscription.objects.get().confirmation_sent_at is not None


@pytest.mark.parametrize("broker", [broker_param("embedded")])
def test_a_confirmation_whose_mail_server_was_down_is_sent_when_it_is_back(broker, tmp_path, the_daily):
    port = free_port()  # nothing listens here yet; the mail server comes up on it later
    workers = Workers(broker, tmp_path, port)
    try:
        workers.start(concurrency=1)
        with publishing_to(workers):
            subscription_request(email="patient.reader@example.com", newsletter=the_daily)
        wait_for(
            lambda: Subscription.objects.filter(
                confirmation_attempted_at__isnull=False, confirmation_sent_at__isnull=True
            ).exists(),
            timeout=30,
            what="a first attempt that failed",
            workers=workers,
        )

        late = Sink(tmp_path / "maildir", port=port)
        try:
            wait_for(lambda: late.count() == 1, timeout=60, what="the retried confirmation", workers=workers)
        finally:
            late.stop()
        assert Subscription.objects.get().confirmation_sent_at is not None
    finally:
        workers.stop_all()


@pytest.fixture
def the_daily():
    from newsletter.models import Newsletter

    return Newsletter.objects.get(slug="the-daily")


def test_scheduled_edition_starts_at_its_time_without_anyone(db):
    """The scheduler's tick starts what is due (in-process here; the worker tests run it for real)."""
    from newsletter.tasks import tick

    SubscriptionFactory()
    edition = EditionFactory(articles=[ArticleFactory()], status="scheduled")
    Edition.objects.filter(pk=edition.pk).update(send_at=timezone.now() - datetime.timedelta(minutes=1))

    tick()

    assert edition_status(edition) in {"sending", "sent"}
