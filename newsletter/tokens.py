"""Signed links in emails: confirmation (expires after 7 days) and unsubscribe (never expires)."""

from datetime import timedelta

from django.core import signing

CONFIRM_SALT = "newsletter.confirm"
UNSUBSCRIBE_SALT = "newsletter.unsubscribe"
CONFIRM_MAX_AGE = timedelta(days=7)


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def confirmation_token(subscription) -> str:
    return signing.dumps({"s": subscription.pk, "n": subscription.token_nonce}, salt=CONFIRM_SALT, compress=True)


def unsubscribe_token(subscription) -> str:
    return signing.dumps({"s": subscription.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_confirmation_token(token: str) -> tuple[int, int]:
    payload = _load(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    return payload["s"], payload["n"]


def read_unsubscribe_token(token: str) -> int:
    return _load(token, salt=UNSUBSCRIBE_SALT)["s"]


def _load(token: str, *, salt: str, max_age=None) -> dict:
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except (signing.BadSignature, ValueError) as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise LinkInvalid
    if "n" in payload and not isinstance(payload["n"], int):
        raise LinkInvalid
    return payload
