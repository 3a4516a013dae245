"""The site's URLs and error pages, plus one view that fails, for the tests of what a server error does."""

from django.urls import path

from newsroom.urls import handler500
from newsroom.urls import urlpatterns as site_urlpatterns


class PressJammed(Exception):
    pass


def crash(request):
    raise PressJammed("the printing press jammed")


urlpatterns = [path("crash/", crash), *site_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
