from django.utils.functional import SimpleLazyObject

from newsroom import freshness

from .models import Page


def footer(request):
    """The pages linked from every page's footer: cached until something readers see changes."""
    return {"footer_pages": SimpleLazyObject(lambda: freshness.cached("footer-pages", _footer_pages, request=request))}


def _footer_pages():
    return list(Page.objects.in_footer())
