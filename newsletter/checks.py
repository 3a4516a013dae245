from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def suppression_key_check(app_configs, **kwargs):
    """The suppression list's hashes under SECRET_KEY would all be lost the day that key is rotated."""
    if settings.NEWSLETTER_SUPPRESSION_KEY == settings.SECRET_KEY:
        return [
            checks.Warning(
                "NEWSLETTER_SUPPRESSION_KEY is not set, so the suppression list's address hashes use SECRET_KEY: "
                "rotating SECRET_KEY would forget every erased address's suppression.",
                hint="Set NEWSLETTER_SUPPRESSION_KEY to a long random value of its own and never change it.",
                id="newsletter.W001",
            )
        ]
    return []
