import functools

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.urls import reverse
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
        "nav_sections": SimpleLazyObject(lambda: nav_sections(request)),
        "site_urls": _site_urls(),
    }


def nav_sections(request=None) -> list[Section]:
    """Every section, in order, each with its `url`: cached until one changes, and read once for a request
    (the front page's view and its header and footer all show them)."""
    if request is None:
        return freshness.cached("nav-sections", _sections)
    if (sections := getattr(request, "nav_sections", None)) is None:
        sections = request.nav_sections = freshness.cached("nav-sections", _sections, request=request)
    return sections


def _sections():
    """With each address worked out once, not on every page that lists them."""
    sections = list(Section.objects.all())
    for section in sections:
        section.url = section.get_absolute_url()
    return sections


@functools.cache
def _site_urls() -> dict[str, str]:
    """The addresses every page links to, worked out once per process."""
    names = {"home": "articles:home", "search": "articles:search", "feed": "articles:feed"}
    names |= {"atom_feed": "articles:atom_feed", "subscribe": "newsletter:subscribe"}
    return {key: reverse(name) for key, name in names.items()}
