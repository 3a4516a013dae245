"""Signed, expiring preview links: staff share an unpublished article as readers will see it."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "articles.preview"


class PreviewExpired(Exception):
    pass


class PreviewInvalid(Exception):
    pass


def preview_max_age() -> timedelta:
    return timedelta(hours=settings.PREVIEW_LINK_HOURS)


def preview_url(article) -> str:
    token = signing.dumps({"a": article.pk}, salt=SALT, compress=True)
    return reverse("articles:preview", kwargs={"token": token})


def read_preview_token(token: str) -> int:
    try:
        payload = signing.loads(token, salt=SALT, max_age=preview_max_age())
    except signing.SignatureExpired as exc:
        raise PreviewExpired from exc
    except (signing.BadSignature, ValueError) as exc:
        raise PreviewInvalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("a"), int):
        raise PreviewInvalid
    return payload["a"]
