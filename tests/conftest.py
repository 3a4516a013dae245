import importlib
import shutil
from pathlib import Path

import pytest
from django.conf import settings


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return  # xdist workers share the controller's folder; the controller removes it.
    media = Path(settings.MEDIA_ROOT)
    if media.name.startswith("newsroom-test-media-"):
        shutil.rmtree(media, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def roles(db):
    """The Journalist and Editor groups, as the data migration makes them.

    Transactional tests (the browser tests) empty every table when they end, groups included.
    """
    from django.apps import apps

    importlib.import_module("articles.migrations.0002_roles").create_roles(apps, None)
