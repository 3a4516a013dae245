from django.utils.functional import SimpleLazyObject

from .consent import consent_text
from .models import Newsletter


def signup(request):
    """What the sign-up form on every page needs: one query, and only if the page shows the form."""
    return {
        "signup_newsletters": SimpleLazyObject(lambda: list(Newsletter.objects.all())),
        "signup_consent": consent_text,
    }
