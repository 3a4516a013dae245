"""The email providers' tracking webhooks: authenticated as each provider signs them, stored once, acted on."""

import base64
import datetime
import hashlib
import hmac
import json
import time

import pytest
from django.utils import timezone
from svix.webhooks import Webhook

from newsletter import sending
from newsletter.models import Delivery, DeliveryEvent, Edition, Subscription, Suppression
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

BASIC = "newsroom:webhook-secret"
MAILGUN_KEY = "mailgun-signing-key"
RESEND_SECRET = "whsec_" + base64.b64encode(b"resend-signing-secret-0123456789").decode()


@pytest.fixture(autouse=True)
def providers(settings):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": BASIC,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
        "RESEND_SIGNING_SECRET": RESEND_SECRET,
    }


@pytest.fixture(autouse=True)
def _no_senders(monkeypatch):
    monkeypatch.setattr(sending, "senders_enqueue", lambda *args, **kwargs: None)


def sent_edition(subscribers: int, *, status=Edition.Status.SENT):
    """An edition every subscriber got over SMTP (no provider message ids)."""
    subscriptions = SubscriptionFactory.create_batch(subscribers)
    edition = EditionFactory(articles=[ArticleFactory()])
    sending.edition_start(edition)
    Delivery.objects.filter(edition=edition).update(status=Delivery.Status.SENT, sent_at=timezone.now())
    Edition.objects.filter(pk=edition.pk).update(status=status)
    return Edition.objects.get(pk=edition.pk), subscriptions


def basic_auth(credentials=BASIC):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def postmark(client, payload, credentials=BASIC):
    return client.post(
        "/anymail/postmark/tracking/", json.dumps(payload), content_type="application/json", **basic_auth(credentials)
    )


def postmark_bounce(email, *, kind="HardBounce", event_id=4323372036854775807, message_id="883953f4-6105"):
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": kind,
        "TypeCode": 1,
        "MessageID": message_id,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "BouncedAt": "2026-12-03T07:00:00Z",
        "MessageStream": "broadcast",
        "Metadata": {},
    }


def postmark_complaint(email, *, event_id=5001, message_id="aa-bb"):
    return {
        "RecordType": "SpamComplaint",
        "ID": event_id,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "MessageID": message_id,
        "Email": email,
        "BouncedAt": "2026-12-03T07:05:00Z",
        "Metadata": {},
    }


def test_a_hard_bounce_suppresses_the_address_ends_its_subscriptions_and_counts_on_the_edition(client):
    edition, subscriptions = sent_edition(3)
    gone = subscriptions[0].subscriber.email

    response = postmark(client, postmark_bounce(gone))

    assert response.status_code == 200
    suppression = Suppression.objects.active().get(email=gone)
    assert suppression.reason == Suppression.Reason.HARD_BOUNCE
    assert suppression.source_event.type == DeliveryEvent.Type.BOUNCED
    assert Subscription.objects.get(pk=subscriptions[0].pk).status == Subscription.Status.UNSUBSCRIBED
    event = DeliveryEvent.objects.get()
    assert (event.provider, event.edition, event.delivery.subscription_id) == (
        "postmark",
        edition,
        subscriptions[0].pk,
    )
    assert Subscription.objects.filter(status="active").count() == 2


def test_a_webhook_sent_again_is_stored_once_and_changes_nothing(client):
    _, subscriptions = sent_edition(1)
    payload = postmark_bounce(subscriptions[0].subscriber.email)

    assert postmark(client, payload).status_code == 200
    assert postmark(client, payload).status_code == 200

    assert DeliveryEvent.objects.count() == 1
    assert Suppression.objects.count() == 1
    assert subscriptions[0].events.filter(kind="unsubscribed").count() == 1


@pytest.mark.parametrize("credentials", ["newsroom:wrong", "someone:else"])
def test_a_webhook_with_the_wrong_credentials_is_refused_and_nothing_is_stored(client, credentials):
    _, subscriptions = sent_edition(1)

    response = postmark(client, postmark_bounce(subscriptions[0].subscriber.email), credentials=credentials)

    assert response.status_code == 400
    assert not DeliveryEvent.objects.exists() and not Suppression.objects.exists()


def test_a_webhook_without_credentials_is_refused(client):
    response = client.post(
        "/anymail/postmark/tracking/", json.dumps(postmark_bounce("a@example.com")), "application/json"
    )
    assert response.status_code == 400
    assert not DeliveryEvent.objects.exists()


def test_a_provider_whose_secret_is_not_set_has_no_webhook(client, settings):
    settings.ANYMAIL = {}  # anymail would accept it unauthenticated, with only a warning
    response = postmark(client, postmark_bounce("a@example.com"))
    assert response.status_code == 404
    assert client.post("/anymail/nobody/tracking/", "{}", "application/json").status_code == 404
    assert not DeliveryEvent.objects.exists()


def test_a_complaint_suppresses_and_pauses_a_sending_edition_past_the_limit(client, settings):
    edition, subscriptions = sent_edition(10, status=Edition.Status.SENDING)

    response = postmark(client, postmark_complaint(subscriptions[3].subscriber.email))

    assert response.status_code == 200
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT
    edition.refresh_from_db()
    assert edition.status == Edition.Status.PAUSED  # 1 of 10 is 10%, far past 0.3%
    assert "marked 10.00% of this edition as spam" in edition.paused_reason


def test_complaints_under_the_limit_do_not_pause(client, settings):
    settings.NEWSLETTER_COMPLAINT_PAUSE = 20.0
    edition, subscriptions = sent_edition(10, status=Edition.Status.SENDING)

    postmark(client, postmark_complaint(subscriptions[3].subscriber.email))

    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENDING


def test_soft_bounces_suppress_only_after_the_configured_count_of_messages(client, settings):
    settings.NEWSLETTER_SOFT_BOUNCE_LIMIT = 3
    _, subscriptions = sent_edition(1)
    email = subscriptions[0].subscriber.email
    for n in range(2):
        postmark(client, postmark_bounce(email, kind="SoftBounce", event_id=100 + n, message_id=f"m{n}"))
    # Two soft bounces of the same message count once.
    postmark(client, postmark_bounce(email, kind="Transient", event_id=110, message_id="m1"))

    assert not Suppression.objects.exists()
    assert DeliveryEvent.objects.filter(type=DeliveryEvent.Type.DEFERRED).count() == 3

    postmark(client, postmark_bounce(email, kind="SoftBounce", event_id=103, message_id="m3"))

    assert Suppression.objects.get().reason == Suppression.Reason.SOFT_BOUNCES


def test_soft_bounces_older_than_the_window_do_not_count(client, settings):
    settings.NEWSLETTER_SOFT_BOUNCE_LIMIT = 2
    _, subscriptions = sent_edition(1)
    email = subscriptions[0].subscriber.email
    postmark(client, postmark_bounce(email, kind="SoftBounce", event_id=1, message_id="old"))
    DeliveryEvent.objects.update(occurred_at=timezone.now() - datetime.timedelta(days=31))

    postmark(client, postmark_bounce(email, kind="SoftBounce", event_id=2, message_id="new"))

    assert not Suppression.objects.exists()


def mailgun_payload(event_data, key=MAILGUN_KEY):
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": event_data}


def mailgun_failure(email, *, severity="permanent", delivery_id=None):
    return {
        "event": "failed",
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": time.time(),
        "severity": severity,
        "reason": "bounce",
        "recipient": email,
        "message": {"headers": {"message-id": "20261203.1@mg.example.org"}},
        "delivery-status": {"code": 550, "message": "5.1.1 No such user", "description": ""},
        "user-variables": {"delivery": str(delivery_id)} if delivery_id else {},
    }


def test_mailgun_signed_webhook_finds_the_delivery_by_its_metadata(client):
    edition, subscriptions = sent_edition(2)
    target = Delivery.objects.get(subscription=subscriptions[1])

    response = client.post(
        "/anymail/mailgun/tracking/",
        json.dumps(mailgun_payload(mailgun_failure(subscriptions[1].subscriber.email, delivery_id=target.pk))),
        content_type="application/json",
        **basic_auth(),  # with WEBHOOK_SECRET set, anymail asks for both
    )

    assert response.status_code == 200
    event = DeliveryEvent.objects.get()
    assert (event.provider, event.type, event.delivery) == ("mailgun", "bounced", target)
    assert Suppression.objects.get().email == subscriptions[1].subscriber.email


def test_mailgun_webhook_with_a_bad_signature_is_refused(client, recorded):
    _, subscriptions = sent_edition(1)
    recorder = recorded("django.security.AnymailWebhookValidationFailure")
    payload = mailgun_payload(mailgun_failure(subscriptions[0].subscriber.email), key="not-the-key")

    response = client.post(
        "/anymail/mailgun/tracking/", json.dumps(payload), content_type="application/json", **basic_auth()
    )

    assert response.status_code == 400
    assert not DeliveryEvent.objects.exists() and not Suppression.objects.exists()
    assert [(record.levelname, record.exc_info) for record in recorder.records] == [("WARNING", None)]


def resend_post(client, payload, *, secret=RESEND_SECRET, msg_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"):
    body = json.dumps(payload)
    now = datetime.datetime.now(tz=datetime.UTC)
    signature = Webhook(secret).sign(msg_id, now, body)
    headers = {
        "HTTP_SVIX_ID": msg_id,
        "HTTP_SVIX_TIMESTAMP": str(int(now.timestamp())),
        "HTTP_SVIX_SIGNATURE": signature,
        **basic_auth(),  # with WEBHOOK_SECRET set, anymail asks for both
    }
    return client.post("/anymail/resend/tracking/", body, content_type="application/json", **headers)


def resend_complaint(email, email_id="4ef9a417-02e9-4d39-ad75-9611e0fcc33c"):
    return {
        "type": "email.complained",
        "created_at": "2026-12-03T07:10:00.000Z",
        "data": {"email_id": email_id, "to": [email], "subject": "Today", "created_at": "2026-12-03T07:00:00Z"},
    }


def test_resend_svix_signed_complaint_finds_the_delivery_by_the_providers_message_id(client, settings):
    settings.EMAIL_BACKEND = "anymail.backends.resend.EmailBackend"
    edition, subscriptions = sent_edition(2)
    target = Delivery.objects.get(subscription=subscriptions[0])
    Delivery.objects.filter(pk=target.pk).update(provider_message_id="4ef9a417-02e9-4d39-ad75-9611e0fcc33c")

    assert resend_post(client, resend_complaint(subscriptions[0].subscriber.email)).status_code == 200
    assert resend_post(client, resend_complaint(subscriptions[0].subscriber.email)).status_code == 200  # again

    event = DeliveryEvent.objects.get()
    assert (event.type, event.delivery, event.edition) == ("complained", target, edition)
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT


def test_resend_webhook_with_another_secret_is_refused(client, recorded):
    recorder = recorded("django.security.AnymailWebhookValidationFailure")
    other = "whsec_" + base64.b64encode(b"another-secret-entirely-00000000").decode()
    assert resend_post(client, resend_complaint("a@example.com"), secret=other).status_code == 400
    assert not DeliveryEvent.objects.exists()
    assert [(record.levelname, record.exc_info) for record in recorder.records] == [("WARNING", None)]


def test_sending_through_a_provider_an_unknown_message_id_is_not_pinned_on_an_edition(client, settings):
    settings.EMAIL_BACKEND = "anymail.backends.resend.EmailBackend"
    _, subscriptions = sent_edition(1)

    resend_post(client, resend_complaint(subscriptions[0].subscriber.email, email_id="a-confirmation-email"))

    event = DeliveryEvent.objects.get()
    assert event.delivery is None and event.edition is None
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT  # the address is still suppressed


def test_delivered_and_opened_events_are_stored_and_suppress_nothing(client):
    _, subscriptions = sent_edition(1)
    email = subscriptions[0].subscriber.email
    delivered = {"RecordType": "Delivery", "MessageID": "x1", "Recipient": email, "DeliveredAt": "2026-12-03T07:00:00Z"}

    assert postmark(client, delivered).status_code == 200

    assert DeliveryEvent.objects.get().type == DeliveryEvent.Type.DELIVERED
    assert not Suppression.objects.exists()


def test_an_unsubscribe_at_the_provider_suppresses_the_address(client):
    _, subscriptions = sent_edition(1)
    change = {
        "RecordType": "SubscriptionChange",
        "MessageID": "x9",
        "ChangedAt": "2026-12-03T07:20:00Z",
        "Recipient": subscriptions[0].subscriber.email,
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
    }

    assert postmark(client, change).status_code == 200

    assert Suppression.objects.get().reason == Suppression.Reason.PROVIDER_UNSUBSCRIBE
    assert Subscription.objects.get().status == Subscription.Status.UNSUBSCRIBED


@pytest.mark.parametrize("provider", ["postmark", "mailgun", "resend", "sparkpost", "amazon_ses", "brevo"])
@pytest.mark.parametrize("body", ["{not json", "[]", '{"RecordType": 5}', '{"event-data": null}', "", "null"])
def test_a_malformed_webhook_body_is_never_a_server_error_and_suppresses_nobody(client, provider, body):
    response = client.post(f"/anymail/{provider}/tracking/", body, content_type="application/json", **basic_auth())
    # Unreadable: 400. Readable but meaning nothing we know (authenticated, so the provider's): kept as "other".
    assert 400 <= response.status_code < 500 or response.status_code == 200
    assert not DeliveryEvent.objects.exclude(type="unknown").exists() and not Suppression.objects.exists()


def sparkpost_bounce(email, bounce_class):
    event = {"type": "bounce", "bounce_class": str(bounce_class), "rcpt_to": email, "raw_rcpt_to": email,
             "event_id": f"sp{bounce_class}", "timestamp": "1764745200"}  # fmt: skip
    return [{"msys": {"message_event": event}}]


def ses_bounce(email, bounce_type):
    message = {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": email, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2026-12-03T07:00:00.000Z",
            "feedbackId": f"feedback-{bounce_type}",
        },
        "mail": {"timestamp": "2026-12-03T06:59:00.000Z", "messageId": f"ses-{bounce_type}", "destination": [email]},
    }
    return {
        "Type": "Notification",
        "MessageId": f"sns-{bounce_type}",
        "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ses-events",
        "Message": json.dumps(message),
        "Timestamp": "2026-12-03T07:00:01.000Z",
    }


@pytest.mark.parametrize(
    "provider, payload, suppressed",
    [
        ("amazon_ses", lambda email: ses_bounce(email, "Permanent"), True),
        ("amazon_ses", lambda email: ses_bounce(email, "Transient"), False),
        ("brevo", lambda email: {"event": "hard_bounce", "email": email, "id": 1, "message-id": "<b1>"}, True),
        ("brevo", lambda email: {"event": "soft_bounce", "email": email, "id": 2, "message-id": "<b2>"}, False),
        (
            "sparkpost",
            lambda email: sparkpost_bounce(email, 50),
            False,
        ),
        (
            "sparkpost",
            lambda email: sparkpost_bounce(email, 10),
            True,
        ),
        ("sendgrid", lambda email: [{"event": "bounce", "type": "blocked", "email": email, "sg_event_id": "sg1",
                                     "timestamp": 1764745200, "reason": "550 5.7.1 blocked as spam"}], False),
        ("sendgrid", lambda email: [{"event": "bounce", "type": "bounce", "email": email, "sg_event_id": "sg2",
                                     "timestamp": 1764745200, "reason": "550 5.1.1 no such user"}], True),
    ],
)  # fmt: skip
def test_only_a_bounce_of_the_address_itself_suppresses_at_once(client, provider, payload, suppressed):
    _, subscriptions = sent_edition(1)
    email = subscriptions[0].subscriber.email
    body = payload(email)
    headers = {}
    if provider == "amazon_ses":  # SNS names the message in its headers too
        headers = {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification", "HTTP_X_AMZ_SNS_MESSAGE_ID": body["MessageId"]}

    response = client.post(
        f"/anymail/{provider}/tracking/", json.dumps(body), "application/json", **basic_auth(), **headers
    )

    assert response.status_code == 200
    assert DeliveryEvent.objects.filter(recipient=email).exists()
    assert Suppression.objects.filter(email=email).exists() is suppressed


def test_a_provider_id_shared_by_a_batch_is_told_apart_by_the_recipient(client, settings):
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    edition, subscriptions = sent_edition(3)
    Delivery.objects.filter(edition=edition).update(provider_message_id="<batch@mg.example.org>")
    target = Delivery.objects.get(subscription=subscriptions[2])
    failure = mailgun_failure(subscriptions[2].subscriber.email)
    failure["message"]["headers"]["message-id"] = "batch@mg.example.org"
    failure["user-variables"] = {"delivery": "²"}  # not a number Python's int() takes

    response = client.post(
        "/anymail/mailgun/tracking/", json.dumps(mailgun_payload(failure)), "application/json", **basic_auth()
    )

    assert response.status_code == 200
    assert DeliveryEvent.objects.get().delivery == target


def test_editors_do_not_see_the_providers_events_which_name_addresses(client, login_as):
    login_as("Editor")
    assert client.get("/admin/newsletter/deliveryevent/").status_code == 403


@pytest.mark.parametrize(
    "address",
    [
        "gone\x00@example.com",
        "gone\ud800@example.com",
        "gone@example.com\nBcc: everyone@example.com",
        "gone@\r\nexample.com",
        "Gone <gone@example.com>, other@example.com",
        "not an address",
        5,
        1.5,
        True,
        ["gone@example.com"],
        {"address": "gone@example.com"},
    ],
)
def test_an_event_whose_address_is_not_one_is_dropped_with_a_warning_so_the_provider_stops_sending_it(
    client, recorded, address
):
    sent_edition(1)
    recorder = recorded("newsletter.webhooks")

    response = postmark(client, postmark_bounce(address))

    assert response.status_code == 200  # authenticated and readable: sending it again would change nothing
    assert not DeliveryEvent.objects.exists() and not Suppression.objects.exists()
    assert [record.levelname for record in recorder.records] == ["WARNING"]
    assert "\n" not in recorder.lines[0] and "gone" not in recorder.lines[0]  # nor the provider's words


def test_an_event_without_an_address_is_kept_and_suppresses_nobody(client):
    assert postmark(client, postmark_bounce(None)).status_code == 200
    assert DeliveryEvent.objects.get().recipient == "" and not Suppression.objects.exists()


def test_an_address_in_its_display_form_is_stored_bare(client):
    edition, subscriptions = sent_edition(1)
    email = subscriptions[0].subscriber.email

    assert postmark(client, postmark_bounce(f'"Gone, Reader" <{email.upper()}>')).status_code == 200

    assert Suppression.objects.get().email == email
    assert (DeliveryEvent.objects.get().recipient, DeliveryEvent.objects.get().edition) == (email, edition)


def test_a_nul_or_a_lone_surrogate_in_the_providers_words_is_dropped_and_the_bounce_still_counts(client):
    _, subscriptions = sent_edition(1)
    email = subscriptions[0].subscriber.email
    payload = postmark_bounce(email, message_id="id\x00\ud800")
    payload["ID"] = "event\x00\udfff"
    payload["Description"] = "No such user\x00 \ud800here"
    payload["Details"] = "smtp;550 5.1.1 \udc00gone"

    assert postmark(client, payload).status_code == 200

    event = DeliveryEvent.objects.get()
    assert "\x00" not in event.description and event.description.isprintable()
    assert event.description.encode("utf-8") and event.message_id.encode("utf-8") and event.event_id.encode("utf-8")
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
    assert postmark(client, payload).status_code == 200  # sent again: the same event
    assert DeliveryEvent.objects.count() == 1


@pytest.mark.parametrize("provider", ["postmark", "mailgun", "resend", "sparkpost", "amazon_ses", "brevo", "sendgrid"])
def test_json_nested_past_what_we_read_is_refused_as_unreadable(client, provider):
    body = "[" * 100_000 + "]" * 100_000

    response = client.post(f"/anymail/{provider}/tracking/", body, content_type="application/json", **basic_auth())

    assert response.status_code == 400
    assert not DeliveryEvent.objects.exists()
