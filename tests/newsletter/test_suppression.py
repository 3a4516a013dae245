"""The suppression list holds on every path that could mail an address or add it back."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from newsletter import sending
from newsletter.imports import subscribers_import
from newsletter.models import Delivery, DeliveryEvent, Newsletter, Subscriber, Subscription, Suppression
from newsletter.services import LinkNoLongerValid, confirmation_send, subscribers_erase, subscription_confirm
from newsletter.suppression import address_hash, is_suppressed, suppress, unsuppress
from newsletter.tokens import confirmation_token
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory
from tests.newsletter.test_sending import Server
from tests.workers import smtp_in_thread

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/newsletter/"


@pytest.fixture(autouse=True)
def _no_senders(monkeypatch):
    monkeypatch.setattr(sending, "senders_enqueue", lambda *args, **kwargs: None)


@pytest.fixture
def the_daily():
    return Newsletter.objects.get(slug="the-daily")


def sign_up(client, email):
    return client.post(SUBSCRIBE, {"email": email, "source": "/", "website": ""}, HTTP_USER_AGENT="Reader")


def import_csv(text, newsletter):
    upload = SimpleUploadedFile("list.csv", text.encode(), content_type="text/csv")
    return subscribers_import(file=upload, newsletter=newsletter, consent_note="From the old provider")


def test_an_edition_leaves_suppressed_addresses_out_of_its_audience():
    kept, dropped = SubscriptionFactory(), SubscriptionFactory()
    # Suppressed without ending the subscription: the address is still never mailed.
    suppress(dropped.subscriber.email, reason=Suppression.Reason.STAFF, end_subscriptions=False)
    edition = EditionFactory(articles=[ArticleFactory()])

    sending.edition_start(edition)

    assert list(Delivery.objects.filter(edition=edition).values_list("subscription", flat=True)) == [kept.pk]
    edition.refresh_from_db()
    assert edition.recipient_count == 1


def test_suppressing_ends_every_subscription_of_the_address_with_a_ledger_row(the_daily):
    other = Newsletter.objects.create(name="Weekend", slug="weekend")
    first = SubscriptionFactory(subscriber__email="gone@example.com", newsletter=the_daily)
    SubscriptionFactory(subscriber=first.subscriber, newsletter=other)

    suppress("Gone@Example.com", reason=Suppression.Reason.HARD_BOUNCE)

    assert set(Subscription.objects.values_list("status", flat=True)) == {"unsubscribed"}
    assert first.events.get(kind="unsubscribed").note == "Suppressed: Hard bounce"
    assert is_suppressed("gone@example.com")


def test_a_suppressed_address_signing_up_gets_the_same_answer_and_nothing_is_stored_or_sent(
    client, the_daily, django_capture_on_commit_callbacks
):
    suppress("complained@example.com", reason=Suppression.Reason.COMPLAINT)

    with django_capture_on_commit_callbacks(execute=True):
        suppressed = sign_up(client, "Complained@example.com")
        other = sign_up(client, "someone.new@example.com")

    assert (suppressed.status_code, suppressed["Location"]) == (other.status_code, other["Location"])
    assert not Subscriber.objects.filter(email="complained@example.com").exists()
    assert [message.to for message in mail.outbox] == [["someone.new@example.com"]]


def test_a_confirmation_email_is_not_sent_to_an_address_suppressed_after_signing_up(the_daily):
    pending = SubscriptionFactory(status="pending", confirmed_at=None, newsletter=the_daily)
    Subscription.objects.filter(pk=pending.pk).update(confirmation_requested_at=pending.subscribed_at)
    suppress(pending.subscriber.email, reason=Suppression.Reason.HARD_BOUNCE, end_subscriptions=False)

    assert confirmation_send(subscription_id=pending.pk) is False
    assert mail.outbox == []
    with pytest.raises(LinkNoLongerValid):
        subscription_confirm(token=confirmation_token(pending))


def test_an_import_leaves_suppressed_addresses_out_and_says_how_many(the_daily):
    suppress("bounced@example.com", reason=Suppression.Reason.HARD_BOUNCE)

    report = import_csv("email\nBounced@example.com\nfine@example.com\n", the_daily)

    assert (report.created, report.suppressed) == (1, 1)
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["fine@example.com"]


def test_erasure_keeps_only_a_keyed_hash_which_still_keeps_the_address_out(the_daily, settings):
    subscription = SubscriptionFactory(subscriber__email="forget.me@example.com", newsletter=the_daily)
    suppress("forget.me@example.com", reason=Suppression.Reason.COMPLAINT)
    DeliveryEvent.objects.create(
        provider="postmark", event_id="1", type="complained", occurred_at=subscription.subscribed_at,
        recipient="forget.me@example.com", description="complaint",
    )  # fmt: skip
    never_suppressed = SubscriptionFactory(subscriber__email="also.forget@example.com", newsletter=the_daily)

    subscribers_erase(
        subscribers=Subscriber.objects.filter(pk__in=[subscription.subscriber_id, never_suppressed.subscriber_id])
    )

    assert not Suppression.objects.exclude(email="").exists()  # no address in clear anywhere
    assert not DeliveryEvent.objects.exclude(recipient="").exists()
    hashes = set(Suppression.objects.values_list("address_hash", flat=True))
    assert hashes == {address_hash("forget.me@example.com"), address_hash("also.forget@example.com")}
    assert "forget.me" not in str(list(Suppression.objects.values()))
    # The hash is keyed: the same address under another key gives another value.
    settings.NEWSLETTER_SUPPRESSION_KEY = "another key"
    assert address_hash("forget.me@example.com") not in hashes
    settings.NEWSLETTER_SUPPRESSION_KEY = settings.SECRET_KEY

    # An old export re-imported brings neither back.
    report = import_csv("email\nforget.me@example.com\nalso.forget@example.com\n", the_daily)
    assert (report.created, report.suppressed) == (0, 2)
    assert not Subscriber.objects.exists()


def test_an_erased_reader_who_signs_up_again_and_confirms_is_mailed_again(
    client, the_daily, django_capture_on_commit_callbacks
):
    subscription = SubscriptionFactory(subscriber__email="back.again@example.com", newsletter=the_daily)
    subscribers_erase(subscribers=Subscriber.objects.filter(pk=subscription.subscriber_id))

    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "back.again@example.com")

    [message] = mail.outbox  # the reader asked: the confirmation goes
    pending = Subscription.objects.get()
    subscription_confirm(token=confirmation_token(pending))
    assert Subscription.objects.get().status == "active"
    assert not is_suppressed("back.again@example.com")
    lifted = Suppression.objects.get()
    assert lifted.removed_at and lifted.removal_reason == "The reader signed up again and confirmed"


def test_a_complaint_is_not_lifted_by_signing_up_again(client, the_daily, django_capture_on_commit_callbacks):
    subscription = SubscriptionFactory(subscriber__email="angry@example.com", newsletter=the_daily)
    suppress("angry@example.com", reason=Suppression.Reason.COMPLAINT)
    subscribers_erase(subscribers=Subscriber.objects.filter(pk=subscription.subscriber_id))

    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "angry@example.com")

    assert mail.outbox == []
    assert Suppression.objects.active().get().reason == Suppression.Reason.COMPLAINT


def test_lifting_a_suppression_keeps_its_record_and_lets_the_address_back(the_daily):
    suppress("typo@example.com", reason=Suppression.Reason.STAFF)

    assert unsuppress(["TYPO@example.com"], reason="Added by mistake") == 1

    assert not is_suppressed("typo@example.com")
    assert Suppression.objects.get().removal_reason == "Added by mistake"
    assert import_csv("email\ntypo@example.com\n", the_daily).created == 1
    suppress("typo@example.com", reason=Suppression.Reason.HARD_BOUNCE)  # and can be suppressed anew
    assert Suppression.objects.active().get().reason == Suppression.Reason.HARD_BOUNCE


@pytest.mark.parametrize(
    "reply, suppressed",
    [
        ("550 5.1.1 No such user", True),
        ("550 No such mailbox", True),
        ("552 5.2.2 Mailbox full", False),
        ("550 5.7.1 Rejected for policy reasons", False),  # the sender is blocked, not the address
    ],
)
def test_a_permanent_refusal_of_the_address_at_send_time_is_a_hard_bounce(settings, reply, suppressed):
    server = Server()
    with smtp_in_thread(server, settings):
        refused, fine = SubscriptionFactory(), SubscriptionFactory()
        server.refuse = {refused.subscriber.email: reply}
        edition = EditionFactory(articles=[ArticleFactory()])
        sending.edition_start(edition)
        sending.edition_send(edition.pk)

    assert Delivery.objects.get(subscription=refused).status == "failed"
    assert is_suppressed(refused.subscriber.email) is suppressed
    assert not is_suppressed(fine.subscriber.email)
    if suppressed:
        assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
        assert Subscription.objects.get(pk=refused.pk).status == "unsubscribed"


def test_an_import_puts_addresses_the_previous_provider_stopped_mailing_on_the_list(the_daily):
    SubscriptionFactory(subscriber__email="known@example.com", newsletter=the_daily)
    text = (
        "Email Address,Status\n"
        "cleaned@example.com,cleaned\n"
        "spam@example.com,complained\n"
        "known@example.com,cleaned\n"
        "fine@example.com,subscribed\n"
    )

    report = import_csv(text, the_daily)

    assert (report.created, report.newly_suppressed) == (1, 3)
    reasons = dict(Suppression.objects.values_list("email", "reason"))
    assert reasons == {
        "cleaned@example.com": "hard_bounce",
        "spam@example.com": "complaint",
        "known@example.com": "hard_bounce",
    }
    assert Subscription.objects.get(subscriber__email="known@example.com").status == "unsubscribed"
    assert not Subscriber.objects.filter(email="cleaned@example.com").exists()
    assert import_csv(text, the_daily).newly_suppressed == 0  # twice changes nothing


def test_erasure_blanks_notes_that_repeat_the_address(the_daily):
    subscription = SubscriptionFactory(subscriber__email="jane@example.com", newsletter=the_daily)
    suppress("jane@example.com", reason=Suppression.Reason.HARD_BOUNCE, note="550 5.1.1 <jane@example.com>: unknown")

    subscribers_erase(subscribers=Subscriber.objects.filter(pk=subscription.subscriber_id))

    assert "jane@example.com" not in str(list(Suppression.objects.values()))
    assert is_suppressed("jane@example.com")


def test_a_complaint_after_an_erased_reader_came_back_replaces_the_erasures_entry(
    client, the_daily, django_capture_on_commit_callbacks
):
    subscription = SubscriptionFactory(subscriber__email="back@example.com", newsletter=the_daily)
    subscribers_erase(subscribers=Subscriber.objects.filter(pk=subscription.subscriber_id))

    suppress("back@example.com", reason=Suppression.Reason.COMPLAINT)

    assert Suppression.objects.active().get().reason == Suppression.Reason.COMPLAINT
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "back@example.com")
    assert mail.outbox == [] and not Subscriber.objects.exists()


def test_suppressing_takes_only_an_address_and_never_makes_an_erasures_entry():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValueError, match="erasing the subscriber"):
        suppress("someone@example.com", reason=Suppression.Reason.ERASED)
    for not_one in ["someone@example.com\nBcc: all@example.com", "a@example.com, b@example.com", 5]:
        with pytest.raises(ValidationError):
            suppress(not_one, reason=Suppression.Reason.STAFF)
    assert not Suppression.objects.exists()

    assert suppress("Someone <Someone@Example.com>", reason=Suppression.Reason.STAFF)[0].email == "someone@example.com"
