"""Sending an edition through an email service provider's API (django-anymail) rather than SMTP.

Where the provider fills merge fields in the content we send (not only in templates stored with it), a batch
goes as one API request: the body carries the provider's merge field where each recipient's own link goes,
and the request carries every recipient's values. Where it cannot, each recipient's copy is personalised here
and sent as a message of its own over the same connection. Which is which comes from anymail's notes on each
provider (anymail.dev, "ESP-specific" pages):

| Provider   | Merge field in inline content         | Recipients a request | Idempotency key |
| ---------- | ------------------------------------- | -------------------- | --------------- |
| Mailgun    | `%recipient.name%`                    | 1,000                | none in its API |
| SparkPost  | `{{name}}` (1)                        | 1,000                | none            |
| Mailjet    | `[[var:name]]`                        | 50                   | none            |
| SendGrid   | a format of our choosing (2)          | 1,000                | none            |
| Resend     | none: ResendBackend fills each in (3) | 100                  | `Idempotency-Key` |
| Postmark   | stored templates only                 | 1 (a message each)   | none            |
| Amazon SES | stored templates only                 | 1 (a message each)   | none            |
| Brevo      | its `params` are for stored templates | 1 (a message each)   | none            |

(1) The whole content is a SparkPost template, so `{{` and `}}` of our own are escaped. (2) anymail's
`merge_field_format`, here `-name-`. (3) Resend's batch endpoint takes each message's own content.

Any other anymail backend sends one message per recipient. Per-recipient headers (`List-Unsubscribe` with the
recipient's own link) go through anymail's `merge_headers` in a batch and as ordinary headers otherwise; the
provider's webhooks name the delivery through the metadata (`{"delivery": id, "edition": id}`, as text).
Our own `Message-ID` is not sent: providers set theirs, and their webhooks name the message by it.
"""

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from anymail.backends import resend
from anymail.message import AnymailMessage

from .rendering import LINK_MARK, RenderedEdition, edition_unsubscribe_url, recipient_headers

# Where each of a recipient's own values goes in the rendered edition, by the value's name.
RECIPIENT_MARKS = {"token": LINK_MARK}  # the one value of each reader: their links' signed token
# Of a recipient's headers, those that differ from one recipient to the next (the rest are the edition's).
PER_RECIPIENT_HEADERS = ("List-Unsubscribe",)

LOCAL_FIELD = "\ue001{}\ue001"  # a merge field ResendBackend fills in itself (private-use: no content has it)


@dataclass(frozen=True)
class Provider:
    name: str
    field: str | None  # the merge field's format (`{}` is the value's name); None: one message per recipient
    per_request: int = 1
    idempotent: bool = False  # the request can carry an idempotency key
    escape: Callable[[str], str] | None = None  # makes our content's own text safe from the provider's syntax
    esp_extra: tuple = ()  # (name, value) pairs for anymail's esp_extra


_CURLIES = re.compile(r"\{\{|\}\}")


def _sparkpost_escape(text: str) -> str:
    """Literal `{{` and `}}` in our content, written as SparkPost's template language spells them."""
    return _CURLIES.sub(
        lambda m: "{{opening_double_curly()}}" if m.group() == "{{" else "{{closing_double_curly()}}", text
    )


PROVIDERS = {
    "Mailgun": Provider("Mailgun", "%recipient.{}%", per_request=1000),
    "SparkPost": Provider("SparkPost", "{{{{{}}}}}", per_request=1000, escape=_sparkpost_escape),
    "Mailjet": Provider("Mailjet", "[[var:{}]]", per_request=50),
    # anymail hands the format to SendGrid's substitutions
    "SendGrid": Provider("SendGrid", "-{}-", per_request=1000, esp_extra=(("merge_field_format", "-{}-"),)),
    "Resend": Provider("Resend", LOCAL_FIELD, per_request=100, idempotent=True),
}


def provider_for(backend) -> Provider:
    """How to send through this anymail backend; one message per recipient for a provider not in the table."""
    provider = PROVIDERS.get(backend.esp_name)
    if provider is None:
        return Provider(backend.esp_name, None)
    if provider.name == "Resend" and not isinstance(backend, ResendBackend):
        # anymail's own Resend backend refuses merge data and cannot set the key: each message alone.
        return Provider("Resend", None)
    return provider


def idempotency_key(edition_id: int, delivery_ids) -> str:
    """The same key for the same edition to the same rows, however often the batch is tried. A batch claimed
    again after a crash may hold other rows (some were sent, others joined): then it is another key, and
    what the key guards against is only the same request arriving twice."""
    rows = ",".join(str(pk) for pk in sorted(delivery_ids))
    return hashlib.sha256(f"newsletter-edition:{edition_id}:{rows}".encode()).hexdigest()


def recipient_values(subscription) -> dict[str, str]:
    """A recipient's own values, by the name of the merge field each fills (their marks: RECIPIENT_MARKS)."""
    return {"token": subscription.link_token()}


def metadata(edition, delivery) -> dict[str, str]:
    """What the provider's webhooks hand back to name the delivery (as text: some providers take only text)."""
    return {"delivery": str(delivery.pk), "edition": str(edition.pk)}


@functools.lru_cache(maxsize=4)
def merge_template(rendered: RenderedEdition, provider: Provider) -> tuple[str, str]:
    """The edition's HTML and text with the provider's merge field where each recipient's own value goes."""

    def fill(body: str) -> str:
        if provider.escape:
            body = provider.escape(body)
        for name, mark in RECIPIENT_MARKS.items():
            body = body.replace(mark, provider.field.format(name))
        return body

    return fill(rendered.html), fill(rendered.text)


def batch_message(edition, rendered: RenderedEdition, provider: Provider, deliveries) -> AnymailMessage:
    """One API request's message for these deliveries: each recipient gets their own copy, with their own
    values merged in by the provider, their own headers and their own metadata."""
    html, text = merge_template(rendered, provider)
    merge_data, merge_headers, merge_metadata, common = {}, {}, {}, {}
    for delivery in deliveries:
        subscription = delivery.subscription
        email = subscription.subscriber.email
        values = recipient_values(subscription)
        headers = recipient_headers(edition, subscription, edition_unsubscribe_url(edition, values["token"]))
        headers.pop("Message-ID")  # the provider's own, which its webhooks name
        merge_data[email] = values
        merge_headers[email] = {name: headers.pop(name) for name in PER_RECIPIENT_HEADERS}
        merge_metadata[email] = metadata(edition, delivery)
        common = headers
    message = AnymailMessage(subject=rendered.subject, body=text, to=list(merge_data), headers=common)
    message.attach_alternative(html, "text/html")
    message.merge_data, message.merge_headers, message.merge_metadata = merge_data, merge_headers, merge_metadata
    message.metadata = {"edition": str(edition.pk)}
    message.tags = [edition.newsletter.slug]
    if provider.esp_extra:
        message.esp_extra = dict(provider.esp_extra)
    if provider.idempotent:
        message.idempotency_key = idempotency_key(edition.pk, [delivery.pk for delivery in deliveries])
    return message


def single_message(edition, provider: Provider, delivery, message):
    """A recipient's copy, personalised here (`message`), dressed for the provider: its metadata, its tag, and
    no Message-ID of ours."""
    message.extra_headers.pop("Message-ID", None)
    message.metadata = metadata(edition, delivery)
    message.tags = [edition.newsletter.slug]
    if provider.idempotent:
        message.idempotency_key = idempotency_key(edition.pk, [delivery.pk])
    return message


def local_merge(text: str, values: dict) -> str:
    for name, value in values.items():
        text = text.replace(LOCAL_FIELD.format(name), str(value))
    return text


class ResendBackend(resend.EmailBackend):
    """Anymail's Resend backend with two things Resend's API has and anymail does not pass on: the
    `Idempotency-Key` request header (from the message's `idempotency_key`), and, in a batch request, each
    message's own content, with the recipient's `merge_data` filled in where `LOCAL_FIELD`s stand."""

    def build_message_payload(self, message, defaults):
        return _ResendPayload(message, defaults, self)


class _ResendPayload(resend.ResendPayload):
    def __init__(self, message, defaults, backend, *args, **kwargs):
        self.local_merge_data = {}
        super().__init__(message, defaults, backend, *args, **kwargs)
        key = getattr(message, "idempotency_key", None)
        if key:
            self.headers["Idempotency-Key"] = key

    def set_merge_data(self, merge_data):
        self.local_merge_data = merge_data  # filled in by serialize_data, message by message

    def serialize_data(self):
        data = super().serialize_data()
        if not (self.is_batch() and any(self.local_merge_data.values())):
            return data
        messages = json.loads(data)
        for message, to in zip(messages, self.to_recipients, strict=True):
            values = self.local_merge_data.get(to.addr_spec, {})
            for part in ("html", "text"):
                if part in message:
                    message[part] = local_merge(message[part], values)
        return self.serialize_json(messages)
