"""Cache headers for what anonymous readers fetch, so browsers, proxies and CDNs can keep it and
revalidate it with a conditional GET (ConditionalGetMiddleware adds the ETag and answers the 304s)."""

from django.conf import settings
from django.utils import timezone
from django.utils.cache import has_vary_header, patch_cache_control
from django.utils.http import http_date

from articles import freshness


def is_public(request, response) -> bool:
    """The same for every reader: a successful GET by someone not logged in that sets no cookie, varies
    by no cookie and has not said how it may be cached (admin pages, previews and email links have)."""
    return (
        request.method in {"GET", "HEAD"}
        and response.status_code == 200
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not response.cookies
        and not response.has_header("Cache-Control")
        and not has_vary_header(response, "Cookie")
    )


class PublicCacheHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_public(request, response):
            version = freshness.current()
            max_age = settings.HTTP_CACHE_SECONDS
            if (until_next := version.seconds_valid(timezone.now())) is not None:
                max_age = min(max_age, until_next)  # a scheduled story is due: look again then
            patch_cache_control(response, public=True, max_age=max_age, stale_while_revalidate=max_age)
            if not response.has_header("Last-Modified"):
                response["Last-Modified"] = http_date(version.changed_at.timestamp())
        return response
