"""/healthz and /readyz, for load balancers and orchestrators.

/healthz answers 200 while the database answers: the process is alive. /readyz answers 200 while the database,
the cache and the storage all answer, and 503 naming those that do not, so a load balancer sends readers only to
instances that can serve them whole. The broker is shared by every instance and pages need it not: one that does
not answer is listed ("ok, degraded: broker") but takes no instance out of rotation, and work is queued again
by the scheduler's sweeps once it is back. Its checks run side by side and it waits `TIMEOUT` at most; the broker's
check, BROKER_TIMEOUT_MS through the broker's breaker (newsroom/queueing.py).

Answered by a middleware ahead of the rest, so probes that address the machine by IP (no allowed Host header) or
over plain HTTP get the answer too, and they never touch sessions.
"""

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

from . import queueing

logger = logging.getLogger(__name__)

PATH = "/healthz"
READY_PATH = "/readyz"
# Seconds /readyz waits for its checks, together: a check still running then counts as failed.
TIMEOUT = 2.0


def healthz(request) -> HttpResponse:
    try:
        database()
    except DatabaseError as exc:
        logger.warning("Not healthy: the database did not answer (%s: %s)", exc.__class__.__name__, exc)
        return plain_text("database unavailable\n", status=503)
    return plain_text("ok\n")


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def database_in_thread() -> None:
    """A thread's connection is its own: closed here, not left open for a thread that is about to end."""
    try:
        database()
    finally:
        connection.close()


def cache_round_trip() -> None:
    """A value written and read back. The Redis cache raises when Redis does not answer (or failed a moment ago,
    newsroom/redis_cache.py); the callers that treat that as a miss are the site's, not this check."""
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, key, timeout=10)
    try:
        if cache.get(key) != key:
            raise LookupError("a value written to the cache was not read back")
    finally:
        cache.delete(key)


def storage() -> None:
    """One cheap call: a stat of a file on disk, a HEAD request to object storage."""
    default_storage.exists("readyz-probe")


CHECKS = {
    "database": database_in_thread,
    "cache": cache_round_trip,
    "broker": queueing.broker_check,
    "storage": storage,
}
# What this instance can serve pages without: shown, but the instance stays in rotation.
DEGRADED = {"broker": "unreachable (work is queued when it returns)"}


def readyz(request) -> HttpResponse:
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    futures = {name: pool.submit(check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=TIMEOUT)
    pool.shutdown(wait=False, cancel_futures=True)  # a check still running is left to its own timeouts
    states, failed, degraded = {}, [], []
    for name, future in futures.items():
        if not future.done():
            state, cause = "timed out", f"did not answer within {TIMEOUT:g} s"
        elif (exc := future.exception()) is not None:
            # The details (addresses, say) go to the log only.
            state, cause = exc.__class__.__name__, f"did not answer ({exc.__class__.__name__}: {exc})"
        else:
            states[name] = "ok"
            continue
        if name in DEGRADED:
            states[name] = DEGRADED[name]
            degraded.append(name)
            logger.warning("Degraded: the %s %s", name, cause)
        else:
            states[name] = state
            failed.append(name)
            logger.warning("Not ready: the %s %s", name, cause)
    lines = "".join(f"{name}: {state}\n" for name, state in states.items())
    if failed:
        return plain_text(f"not ready: {', '.join(failed)}\n{lines}", status=503)
    if degraded:
        return plain_text(f"ok, degraded: {', '.join(degraded)}\n{lines}")
    return plain_text(f"ok\n{lines}")


def plain_text(text: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain")
    add_never_cache_headers(response)
    # A failing probe was logged above as a warning naming the cause; Django would log every probe again as a
    # server error, mailed to ADMINS and sent to Sentry, every few seconds while a service is down.
    response._has_been_logged = True
    return response


PROBES = {PATH: healthz, READY_PATH: readyz}


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path)
        if probe is not None and request.method in {"GET", "HEAD"}:
            return probe(request)
        return self.get_response(request)
