"""The WSGI application: Django, behind the page cache's early answers (newsroom/public_cache.py), both inside
the request id (newsroom/request_id.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

django_application = get_wsgi_application()

from newsroom.public_cache import EarlyHits  # noqa: E402 (needs the settings configured above)
from newsroom.request_id import RequestIds  # noqa: E402

application = RequestIds(EarlyHits(django_application))
