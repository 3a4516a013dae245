"""Editions through email service providers' APIs (django-anymail), against a stub of each provider's REST API
on loopback: the requests anymail really makes, answered as the provider documents."""

import json
import re
import threading
from contextlib import contextmanager
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from newsletter import providers, sending
from newsletter.models import Delivery, Edition
from newsletter.rendering import LINK_MARK, edition_unsubscribe_url
from newsletter.services import confirmation_send
from newsletter.tokens import read_unsubscribe_token
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


class ProviderAPI:
    """A provider's REST API on 127.0.0.1: keeps every request, answers with `answer(request)` -> (status, body)."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = {"path": self.path, "headers": dict(self.headers), "body": body}
                api.requests.append(request)
                status, reply = api.answer(request)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def provider_api(answer):
    api = ProviderAPI(answer)
    thread = threading.Thread(target=api.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.server.shutdown()
        api.server.server_close()


def form(request) -> dict[str, list[str]]:
    """A form-encoded or multipart request body as field -> values."""
    kind = request["headers"].get("Content-Type", "")
    if kind.startswith("multipart/"):
        parsed = BytesParser(policy=default_policy).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + request["body"]
        )
        fields: dict[str, list[str]] = {}
        for part in parsed.iter_parts():
            fields.setdefault(part.get_param("name", header="content-disposition"), []).append(part.get_content())
        return fields
    return parse_qs(request["body"].decode(), keep_blank_values=True)


def sending_edition(subscribers: int):
    subscriptions = SubscriptionFactory.create_batch(subscribers)
    edition = EditionFactory(articles=[ArticleFactory()])
    sending.edition_start(edition)
    return Edition.objects.get(pk=edition.pk), subscriptions


def link_is_theirs(value: str, delivery: Delivery) -> bool:
    """A reader's value (their links' token, or a link carrying it) names their own subscription."""
    token = value.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    return read_unsubscribe_token(token) == delivery.subscription_id


def unsubscribe_header(edition, token: str) -> str:
    return f"<{edition_unsubscribe_url(edition, token)}>"


@pytest.fixture(autouse=True)
def _no_senders(monkeypatch):
    monkeypatch.setattr(sending, "senders_enqueue", lambda *args, **kwargs: None)


def test_mailgun_gets_one_request_per_batch_with_each_recipients_link_headers_and_metadata(settings):
    settings.NEWSLETTER_BATCH_SIZE = 4
    edition, _ = sending_edition(6)
    answers = iter(["<batch-1@mg.example>", "<batch-2@mg.example>"])
    with provider_api(lambda request: (200, {"id": next(answers), "message": "Queued. Thank you."})) as api:
        settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
        settings.ANYMAIL = {"MAILGUN_API_KEY": "key-test", "MAILGUN_API_URL": f"{api.url}/v3"}
        sending.edition_send(edition.pk)

    assert len(api.requests) == 2  # 6 recipients in batches of 4
    edition.refresh_from_db()
    assert (edition.status, edition.sent_count) == (Edition.Status.SENT, 6)
    for request, message_id in zip(api.requests, ["<batch-1@mg.example>", "<batch-2@mg.example>"], strict=True):
        assert request["path"] == "/v3/localhost/messages"
        fields = form(request)
        variables = json.loads(fields["recipient-variables"][0])
        assert sorted(variables) == sorted(fields["to"])
        html, text = fields["html"][0], fields["text"][0]
        assert "%recipient.token%" in html and "%recipient.token%" in text
        assert fields["h:List-Unsubscribe"] == ["%recipient.h:List-Unsubscribe%"]
        assert fields["h:List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]
        assert fields["h:List-Id"] == [edition.newsletter.list_id()]
        assert fields["h:Precedence"] == ["bulk"] and fields["h:Auto-Submitted"] == ["auto-generated"]
        assert "h:Message-Id" not in fields  # Mailgun's own, which its webhooks name
        assert fields["v:delivery"] == ["%recipient.v:delivery%"]
        assert fields["o:tag"] == [edition.newsletter.slug]
        for email, own in variables.items():
            delivery = Delivery.objects.get(edition=edition, subscription__subscriber__email=email)
            token = own["token"]
            assert link_is_theirs(token, delivery)
            assert f"/newsletter/unsubscribe/{token}/" in html.replace("%recipient.token%", token)
            assert f"/newsletter/preferences/{token}/" in text.replace("%recipient.token%", token)
            assert own["h:List-Unsubscribe"] == unsubscribe_header(edition, token)
            assert (own["v:delivery"], own["v:edition"]) == (str(delivery.pk), str(edition.pk))
            assert (delivery.status, delivery.provider_message_id) == ("sent", message_id)


def test_resend_retries_a_batch_it_refused_with_the_same_idempotency_key_and_loses_no_row(settings):
    settings.NEWSLETTER_BATCH_SIZE = 10
    edition, subscriptions = sending_edition(3)
    replies = iter([(500, {"name": "internal_server_error", "message": "Try again"})])

    def answer(request):
        batch = json.loads(request["body"])
        return next(replies, (200, {"data": [{"id": f"re-{item['to'][0]}"} for item in batch]}))

    with provider_api(answer) as api:
        settings.EMAIL_BACKEND = "newsletter.providers.ResendBackend"
        settings.ANYMAIL = {"RESEND_API_KEY": "re_test", "RESEND_API_URL": api.url}

        assert sending.batch_send(edition.pk) is False  # the provider failed: the batch waits
        waiting = Delivery.objects.filter(edition=edition)
        assert all(d.status == "pending" and d.error.startswith("Email provider") for d in waiting)
        assert all(d.lease_until > timezone.now() for d in waiting)  # backing off, not lost

        Delivery.objects.filter(edition=edition).update(lease_until=None)  # the back-off has passed
        sending.edition_send(edition.pk)

    first, retry = api.requests
    assert first["path"] == retry["path"] == "/emails/batch"
    key = first["headers"]["Idempotency-Key"]
    ids = sorted(Delivery.objects.filter(edition=edition).values_list("pk", flat=True))
    assert key == retry["headers"]["Idempotency-Key"] == providers.idempotency_key(edition.pk, ids)
    batch = json.loads(retry["body"])
    assert len(batch) == 3
    for item in batch:
        delivery = Delivery.objects.get(edition=edition, subscription__subscriber__email=item["to"][0])
        url = re.fullmatch(r"<(.+)>", item["headers"]["List-Unsubscribe"]).group(1)
        assert link_is_theirs(url, delivery)
        assert url in item["html"] and url in item["text"] and providers.LOCAL_FIELD[0] not in item["html"]
        assert json.loads(item["headers"]["X-Metadata"]) == {"delivery": str(delivery.pk), "edition": str(edition.pk)}
        assert (delivery.status, delivery.provider_message_id) == ("sent", f"re-{item['to'][0]}")
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_a_resend_batch_whose_answer_was_lost_is_recorded_sent_when_resend_knows_its_key(settings):
    """The first try went through but its answer never came back; the retry (its links signed anew, so not
    the same request) is refused as a reuse of the key: Resend sent the batch, and it is not sent again."""
    edition, _ = sending_edition(2)
    conflict = {"name": "invalid_idempotent_request", "message": "Same idempotency key used with a different payload"}
    with provider_api(lambda request: (409, conflict)) as api:
        settings.EMAIL_BACKEND = "newsletter.providers.ResendBackend"
        settings.ANYMAIL = {"RESEND_API_KEY": "re_test", "RESEND_API_URL": api.url}
        sending.edition_send(edition.pk)

    assert len(api.requests) == 1
    assert all(d.status == "sent" and "idempotency key" in d.error for d in Delivery.objects.filter(edition=edition))
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_postmark_gets_a_message_per_recipient_and_a_rejected_one_fails_its_row(settings):
    edition, subscriptions = sending_edition(3)
    inactive = subscriptions[1].subscriber.email

    def answer(request):
        message = json.loads(request["body"])
        if message["To"] == inactive:
            return 422, {
                "ErrorCode": 406,
                "Message": f"You tried to send to a recipient that has been marked as inactive.\n"
                f"Found inactive addresses: {inactive}.\nInactive recipients are ones that have generated a hard "
                "bounce or a spam complaint. ",
            }
        return 200, {"To": message["To"], "ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{message['To']}"}

    with provider_api(answer) as api:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-token", "POSTMARK_API_URL": api.url}
        sending.edition_send(edition.pk)

    assert [request["path"] for request in api.requests] == ["/email"] * 3
    for request in api.requests:
        message = json.loads(request["body"])
        delivery = Delivery.objects.get(edition=edition, subscription__subscriber__email=message["To"])
        headers = {header["Name"]: header["Value"] for header in message["Headers"]}
        url = re.fullmatch(r"<(.+)>", headers["List-Unsubscribe"]).group(1)
        assert link_is_theirs(url, delivery) and url in message["HtmlBody"] and url in message["TextBody"]
        assert "Message-ID" not in headers
        assert message["Metadata"] == {"delivery": str(delivery.pk), "edition": str(edition.pk)}
        if message["To"] == inactive:
            assert (delivery.status, delivery.error) == ("failed", "Postmark: rejected")
            assert delivery.provider_message_id == ""
        else:
            assert (delivery.status, delivery.provider_message_id) == ("sent", f"pm-{message['To']}")
    edition.refresh_from_db()
    assert (edition.status, edition.sent_count, edition.failed_count) == (Edition.Status.SENT, 2, 1)


def test_sparkpost_merges_each_link_and_a_batch_it_partly_rejected_is_not_sent_again(settings):
    edition, _ = sending_edition(3)
    partly = {"results": {"total_accepted_recipients": 2, "total_rejected_recipients": 1, "id": "tx-7"}}
    with provider_api(lambda request: (200, partly)) as api:
        settings.EMAIL_BACKEND = "anymail.backends.sparkpost.EmailBackend"
        settings.ANYMAIL = {"SPARKPOST_API_KEY": "sp-key", "SPARKPOST_API_URL": f"{api.url}/api/v1"}
        sending.edition_send(edition.pk)

    (request,) = api.requests
    assert request["path"] == "/api/v1/transmissions/"
    transmission = json.loads(request["body"])
    assert "{{token}}" in transmission["content"]["html"]
    assert transmission["content"]["headers"]["List-Unsubscribe"] == "{{Header__List_Unsubscribe}}"
    for recipient in transmission["recipients"]:
        delivery = Delivery.objects.get(edition=edition, subscription__subscriber__email=recipient["address"]["email"])
        token = recipient["substitution_data"]["token"]
        assert link_is_theirs(token, delivery)
        assert recipient["substitution_data"]["Header__List_Unsubscribe"] == unsubscribe_header(edition, token)
        assert recipient["metadata"] == {"delivery": str(delivery.pk), "edition": str(edition.pk)}
        # Which one was rejected SparkPost did not say: all count as sent, its webhooks name the one.
        assert (delivery.status, delivery.provider_message_id) == ("sent", "tx-7")
        assert delivery.error == sending.UNCONFIRMED


def test_mailjet_merges_each_link_and_a_message_it_could_not_send_waits_alone(settings):
    edition, subscriptions = sending_edition(3)
    unlucky = subscriptions[2].subscriber.email

    def answer(request):
        results = [
            {"Status": "error", "Errors": [{"ErrorCode": "send-0003", "StatusCode": 400}]}
            if message["To"][0]["Email"] == unlucky
            else {"Status": "success", "To": [{"Email": message["To"][0]["Email"], "MessageID": 7000 + number}]}
            for number, message in enumerate(json.loads(request["body"])["Messages"])
        ]
        return 400 if any(result["Status"] == "error" for result in results) else 200, {"Messages": results}

    with provider_api(answer) as api:
        settings.EMAIL_BACKEND = "anymail.backends.mailjet.EmailBackend"
        settings.ANYMAIL = {"MAILJET_API_KEY": "mj", "MAILJET_SECRET_KEY": "secret", "MAILJET_API_URL": api.url}
        assert sending.batch_send(edition.pk) is True

    (request,) = api.requests
    sent = json.loads(request["body"])
    assert "[[var:token]]" in sent["Globals"]["HTMLPart"]
    for number, message in enumerate(sent["Messages"]):
        delivery = Delivery.objects.get(edition=edition, subscription__subscriber__email=message["To"][0]["Email"])
        assert link_is_theirs(message["Variables"]["token"], delivery)
        assert message["Headers"]["List-Unsubscribe"] == unsubscribe_header(edition, message["Variables"]["token"])
        assert json.loads(message["EventPayload"])["delivery"] == str(delivery.pk)
        if message["To"][0]["Email"] == unlucky:
            assert (delivery.status, delivery.error) == ("pending", "Mailjet: failed")
        else:
            assert (delivery.status, delivery.provider_message_id) == ("sent", str(7000 + number))


def test_a_batch_refused_for_one_bad_address_is_split_and_only_that_row_fails(settings):
    edition, subscriptions = sending_edition(3)
    bad = subscriptions[1].subscriber.email

    def answer(request):
        to = form(request)["to"]
        if bad in to:
            return 400, {"message": f"'to' parameter is not a valid address: {bad}"}
        return 200, {"id": f"<{to[0]}>", "message": "Queued. Thank you."}

    with provider_api(answer) as api:
        settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
        settings.ANYMAIL = {"MAILGUN_API_KEY": "key-test", "MAILGUN_API_URL": f"{api.url}/v3"}
        sending.edition_send(edition.pk)

    assert [len(form(request)["to"]) for request in api.requests] == [3, 1, 1, 1]  # the batch, then each alone
    alone = form(api.requests[1])
    assert "recipient-variables" not in alone and "%recipient" not in alone["html"][0]  # personalised here
    failed = Delivery.objects.get(edition=edition, subscription=subscriptions[1])
    assert failed.status == "failed" and failed.error.startswith("Mailgun refused it:")
    assert Delivery.objects.filter(edition=edition, status="sent").count() == 2
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_a_provider_that_cannot_be_reached_gives_the_rows_back(settings):
    from tests.workers import free_port

    edition, _ = sending_edition(2)
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {"MAILGUN_API_KEY": "key-test", "MAILGUN_API_URL": f"http://127.0.0.1:{free_port()}/v3"}

    assert sending.batch_send(edition.pk) is False

    assert not Delivery.objects.filter(edition=edition).exclude(status="pending").exists()
    assert Delivery.objects.filter(edition=edition, error__startswith="Email provider", lease=None).count() == 2


@pytest.mark.parametrize("status", [401, 429, 503])
def test_a_provider_that_will_not_take_the_request_now_or_from_us_gives_the_rows_back(settings, status):
    edition, _ = sending_edition(2)
    with provider_api(lambda request: (status, {"message": "No"})) as api:
        settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
        settings.ANYMAIL = {"MAILGUN_API_KEY": "key-test", "MAILGUN_API_URL": f"{api.url}/v3"}
        assert sending.batch_send(edition.pk) is False

    assert len(api.requests) == 1
    waiting = Delivery.objects.filter(edition=edition)
    assert all(d.status == "pending" and f"response {status}" in d.error for d in waiting)


def test_the_idempotency_key_is_the_same_for_the_same_rows_and_another_for_others():
    assert providers.idempotency_key(7, [3, 1, 2]) == providers.idempotency_key(7, [1, 2, 3])
    assert providers.idempotency_key(7, [1, 2, 3]) != providers.idempotency_key(7, [1, 2])
    assert providers.idempotency_key(7, [1, 2, 3]) != providers.idempotency_key(8, [1, 2, 3])


def test_sparkposts_template_syntax_in_our_own_content_is_escaped_and_the_link_is_a_merge_field():
    html = f"<p>{{{{x}}}}</p><a href='/unsubscribe/{LINK_MARK}/'>"
    rendered = sending.RenderedEdition(subject="S", html=html, text="")
    html, _ = providers.merge_template(rendered, providers.PROVIDERS["SparkPost"])
    assert html == "<p>{{opening_double_curly()}}x{{closing_double_curly()}}</p><a href='/unsubscribe/{{token}}/'>"


def test_the_confirmation_email_goes_through_the_provider_naming_its_subscription(settings):
    subscription = SubscriptionFactory(status="pending", confirmation_requested_at=timezone.now())
    ok = {"To": subscription.subscriber.email, "ErrorCode": 0, "Message": "OK", "MessageID": "pm-confirm"}
    with provider_api(lambda request: (200, ok)) as api:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-token", "POSTMARK_API_URL": api.url}
        assert confirmation_send(subscription_id=subscription.pk) is True

    (request,) = api.requests
    message = json.loads(request["body"])
    assert message["Metadata"] == {"subscription": str(subscription.pk)}
    assert subscription.confirm_url().rsplit("/", 2)[0] in message["TextBody"]
