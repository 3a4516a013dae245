from django.utils.functional import SimpleLazyObject

from newsroom import freshness

from .consent import consent_text
from .models import Newsletter


def signup(request):
    """What the sign-up form on every page needs: cached, and fetched only if the page shows the form."""
    return {
        "signup_newsletters": SimpleLazyObject(
            lambda: freshness.cached("signup-newsletters", _newsletters, request=request)
        ),
        "signup_consent": consent_text,
    }


def _newsletters():
    return list(Newsletter.objects.all())
