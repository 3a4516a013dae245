"""The WSGI application: Django, behind the page cache's early answers (newsroom/public_cache.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

django_application = get_wsgi_application()

from newsroom.public_cache import EarlyHits  # noqa: E402 (needs the settings configured above)

application = EarlyHits(django_application)
