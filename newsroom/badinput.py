"""Requests that no browser sends get the 400 page before any view sees them.

A NUL character in an address, a query parameter, a cookie or a header is only ever a probe: no browser puts
one there, and PostgreSQL can neither store nor compare text that holds one, so every view that passed it to a
query answered 500. Form fields are left to the forms, whose text fields refuse a NUL with a form error that
keeps the rest of what was typed.
"""

from django.shortcuts import render

NUL = "\x00"


def carries_nul(request) -> bool:
    if NUL in request.path or NUL in request.path_info:
        return True
    if any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()):
        return True
    if any(NUL in key or NUL in value for key, value in request.COOKIES.items()):
        return True
    return any(
        NUL in value for key, value in request.META.items() if key.startswith("HTTP_") and isinstance(value, str)
    )


def bad_request(request, reason: str = ""):
    """The site's 400 page, with the site's header and footer, saying what was wrong if we know."""
    return render(request, "400.html", {"reason": reason}, status=400)


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if carries_nul(request):
            return bad_request(request, "The address or the request carried a character that is not allowed.")
        return self.get_response(request)
