"""Test runs use the one settings module in development mode, with media in a throw-away folder.

pytest-django still runs every test with DEBUG off, as production does.
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="newsroom-test-media-"))
# The live server thread must not keep a connection open, or the test database cannot be dropped.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
# The whole-page cache is tested as production runs it.
os.environ.setdefault("PAGE_CACHE", "1")
os.environ.setdefault("PARTS_CACHE", "1")

from newsroom.settings import *  # noqa: E402, F403

# SQLite test databases are files, not memory, so the worker processes the worker tests start can open them.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    os.environ.setdefault("NEWSROOM_TEST_DB_DIR", tempfile.mkdtemp(prefix="newsroom-test-db-"))
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["NEWSROOM_TEST_DB_DIR"], "test.sqlite3")}  # noqa: F405

# Parallel workers share the folder but not their databases: image ids repeat, so each gets its own.
if os.environ.get("PYTEST_XDIST_WORKER"):
    MEDIA_ROOT = MEDIA_ROOT / os.environ["PYTEST_XDIST_WORKER"]  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run where they are queued, so a test reads the outbox as soon as the response is back. The tests of
# the workers themselves (tests/newsletter/test_workers.py) start real worker processes on real brokers.
CELERY_TASK_ALWAYS_EAGER = True
