from django.utils.functional import SimpleLazyObject

from newsroom import freshness

from .models import Page


def footer(request):
    """The pages linked from every page's footer: cached until something readers see changes."""
    return {"footer_pages": SimpleLazyObject(lambda: freshness.cached("footer-pages", _footer_pages, request=request))}


def _footer_pages():
    """With each address worked out once, not on every page."""
    pages = list(Page.objects.in_footer())
    for page in pages:
        page.url = page.get_absolute_url()
    return pages
