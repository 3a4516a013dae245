"""The consent wording readers see beside every sign-up form, versioned so staff can prove what was shown."""

from django.conf import settings

CONSENT_VERSION = "2026-11-25"
CONSENT_TEXT = (
    "Send me this newsletter by email. I can unsubscribe with one click in any issue. "
    "{site} uses my address only for this, never sells or shares it, and records when and where I agreed."
)


def consent_text() -> str:
    """The wording beside every sign-up form, exactly as it is stored with each subscription."""
    return CONSENT_TEXT.format(site=settings.SITE_NAME)
