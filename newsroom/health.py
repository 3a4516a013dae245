"""/healthz for load balancers: 200 while the database answers, 503 when it does not.

Answered by a middleware ahead of the rest, so probes that address the machine by IP (no allowed
Host header) or over plain HTTP get the answer too, and it never touches sessions or caches.
"""

from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

PATH = "/healthz"


def healthz(request) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    else:
        response = HttpResponse("ok\n", content_type="text/plain")
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == PATH and request.method in {"GET", "HEAD"}:
            return healthz(request)
        return self.get_response(request)
