import importlib
import logging
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


@pytest.fixture(scope="session", autouse=True)
def _task_modules():
    """Every app's tasks are loaded, as in a worker: work queued by the task's name runs eagerly here
    (tests/settings.py), where a web process would hand the name to the broker."""
    from newsroom.celery import app

    app.loader.import_default_modules()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def real_redis(settings):
    """The site's cache on a real Redis (TEST_REDIS_URL, emptied before and after); CI starts one."""
    import os

    import redis

    # Parallel test workers (pytest-xdist) each get a database of their own: 14, 13, 11… (12 is the worker
    # tests' broker, 15 the benchmark's).
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    database = (14, 13, 11, 10, 9, 8, 7, 6)[worker % 8]
    url = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{database}")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"No Redis at {url} (CI starts one)")
    settings.CACHES = {"default": {"BACKEND": "newsroom.redis_cache.RedisCache", "LOCATION": url}}
    settings.CONTENT_VERSION_SHARED = True
    yield
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def roles(db):
    """The Journalist, Editor and Audience groups and The Daily, as the data migrations make them.

    Transactional tests (the browser tests) empty every table when they end, these included.
    """
    from django.apps import apps

    from audit.services import recorded_by_caller

    with recorded_by_caller():  # as `migrate` does it, with its own models: not a change on the audit record
        _run_data_migrations(apps)
    # Making permissions empties the content-type cache; a process that has served a page has it full, as here.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_models(*apps.get_models())


def _run_data_migrations(apps):
    importlib.import_module("articles.migrations.0002_roles").create_roles(apps, None)
    importlib.import_module("articles.migrations.0006_editor_gets_new_permissions").grant(apps, None)
    importlib.import_module("articles.migrations.0008_journalists_delete_own_drafts").grant(apps, None)
    importlib.import_module("pages.migrations.0002_editors_edit_pages").grant(apps, None)
    newsletter = importlib.import_module("newsletter.migrations.0002_the_daily_and_audience")
    newsletter.create_the_daily(apps, None)
    newsletter.create_audience(apps, None)
    importlib.import_module("newsletter.migrations.0005_edition_roles").grant(apps, None)
    importlib.import_module("newsletter.migrations.0007_suppression_roles").grant(apps, None)
    importlib.import_module("audit.migrations.0002_editors_see_the_audit").grant(apps, None)
    importlib.import_module("embeds.migrations.0002_staff_see_embeds").grant(apps, None)
    importlib.import_module("live.migrations.0002_roles").grant(apps, None)


@pytest.fixture(autouse=True)
def _migration_data(request):
    """Every database test starts with what the data migrations made (roles, The Daily)."""
    if request.node.get_closest_marker("django_db") is not None:
        request.getfixturevalue("roles")


@pytest.fixture
def login_as(client, db):
    """Log the test client in as a new staff member of one of the roles (Journalist, Editor, Audience)."""
    from django.contrib.auth.models import Group, User

    from audit.services import recorded_by_caller

    def login(group: str, username: str | None = None):
        with recorded_by_caller():  # the test's setting, not a step on the audit record
            user = User.objects.create_user(username or group.lower(), password="x", is_staff=True)
            user.groups.add(Group.objects.get(name=group))
        client.force_login(user)
        return user

    return login


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's superuser, made as the test's setting: not a step on the audit record."""
    from audit.services import recorded_by_caller

    with recorded_by_caller():
        return django_user_model._default_manager.create_superuser("admin", "admin@example.com", "password")


def warm_site_chrome():
    """Fill the cached header and footer (sections, footer pages, newsletters), as every request after the
    first change of content finds them."""
    from articles import context_processors as articles_chrome
    from newsletter import context_processors as newsletter_chrome
    from newsroom import freshness
    from pages import context_processors as pages_chrome

    freshness.cached("nav-sections", articles_chrome._sections)
    freshness.cached("footer-pages", pages_chrome._footer_pages)
    freshness.cached("signup-newsletters", newsletter_chrome._newsletters)


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries):
    """pytest-django's query guard, counting what a page costs with the site's header and footer already
    cached (they cost three queries once per content change; tests/test_site_chrome.py checks that)."""

    def guard(num, *args, **kwargs):
        warm_site_chrome()
        return django_assert_num_queries(num, *args, **kwargs)

    return guard


class LogRecorder(logging.Handler):
    """What reaches a handler: the records (each with its request id, as the site's handler adds) and their lines."""

    def __init__(self):
        from newsroom.request_id import RequestIdFilter

        super().__init__()
        self.records = []
        self.lines = []
        self.addFilter(RequestIdFilter())

    def emit(self, record):
        self.records.append(record)
        self.lines.append(logging.Formatter().format(record))


@pytest.fixture
def recorded():
    """What reaches a handler on the named logger (after the logger's own filters)."""
    attached = []

    def record(name):
        attached.append((logging.getLogger(name), LogRecorder()))
        attached[-1][0].addHandler(attached[-1][1])
        return attached[-1][1]

    yield record
    for logger, recorder in attached:
        logger.removeHandler(recorder)
