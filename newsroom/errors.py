from django.conf import settings
from django.http import HttpResponseServerError
from django.template import loader


def server_error(request):
    """The 500 page, rendered without the request, so no context processor can query a database that failed."""
    reported = bool(settings.ADMINS or settings.SENTRY_DSN)
    return HttpResponseServerError(loader.render_to_string("500.html", {"reported": reported}))
