from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.utils.functional import SimpleLazyObject

from newsroom import freshness

from .models import Section


def site(request):
    """The site's name, its address and its sections, for the head, header and footer of every page."""
    try:
        site_root = f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:  # the 400 page for a request to a host we do not serve
        site_root = ""
    return {
        "site_name": settings.SITE_NAME,
        "site_root": site_root,
        # Cached until something readers see changes: no query on most requests.
        "nav_sections": SimpleLazyObject(lambda: freshness.cached("nav-sections", _sections, request=request)),
    }


def _sections():
    return list(Section.objects.all())
