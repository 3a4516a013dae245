"""Queueing work for the Celery workers without ever failing, or holding up, the request that asks for it.

A broker that refuses connections fails at once. One that is hung (accepting connections and never answering) is
given BROKER_TIMEOUT_MS for the whole publish, connecting and handshake included, whatever the library would wait;
then a circuit breaker per process (newsroom/breaker.py) leaves it alone for BROKER_BREAKER_SECONDS, and work is
not queued meanwhile: the scheduler's sweeps queue it later. Every task is safe to run twice, so a publish that
completes after it was given up costs nothing.
"""

import contextvars
import importlib
import logging
import tempfile
import threading
from concurrent.futures import Future

from django.conf import settings
from kombu.exceptions import OperationalError

from .breaker import Breaker, Breakers

logger = logging.getLogger(__name__)


class BrokerUnavailable(OperationalError):
    """The breaker is open: the broker failed a moment ago and is not being asked again yet."""


class BrokerTimedOut(OperationalError):
    """The broker took longer than BROKER_TIMEOUT_MS."""


_breakers = Breakers()


def _app():
    from .celery import app

    return app


def broker_breaker() -> Breaker:
    """One breaker per broker per process, shared by every thread."""
    app = _app()

    def make() -> Breaker:
        with app.connection_for_write() as connection:
            name = connection.as_uri()  # without the password
            failures = (OperationalError, OSError, *connection.connection_errors)
        return Breaker(
            name,
            settings.BROKER_BREAKER_SECONDS,
            what="broker",
            failures=failures,
            unavailable=BrokerUnavailable,
            logger=logger,
        )

    return _breakers.get_or_make(app.conf.broker_url, make)


def within_deadline(operation, *args, **kwargs):
    """Run `operation` in a thread of its own (with this one's context: the request id), and raise BrokerTimedOut
    if it takes longer than BROKER_TIMEOUT_MS; left running, it ends at the broker's socket timeouts."""
    seconds = settings.BROKER_TIMEOUT_MS / 1000
    outcome = Future()
    context = contextvars.copy_context()

    def run():
        _app().set_current()  # or Celery, finding no app of this thread's, would make one (and make it the default)
        try:
            outcome.set_result(context.run(operation, *args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 (handed to the caller)
            outcome.set_exception(exc)

    threading.Thread(target=run, name="broker-call", daemon=True).start()
    try:
        return outcome.result(timeout=seconds)
    except TimeoutError:
        if outcome.done():
            raise
        raise BrokerTimedOut(f"The broker did not answer within {seconds:g} s.") from None


def enqueue(task, *args, **options) -> bool:
    """Queue a task (or a task's name, to queue work without importing its module); with the broker down or hung,
    log it and go on (a scheduled sweep or command picks the work up)."""
    app = _app()
    if isinstance(task, str):
        importlib.import_module(task.rpartition(".")[0])  # its module registers it, in a process that had no need yet
        task = app.tasks[task]
    try:
        if app.conf.task_always_eager:
            task.apply_async(args=args, retry=False, **options)  # runs here; nothing is published
        else:
            broker_breaker().call(within_deadline, task.apply_async, args=args, retry=False, **options)
    except Exception as exc:
        if isinstance(exc, broker_breaker().failures):  # reported once, when the breaker opened
            logger.warning("Could not queue %s%r (%s); it will be picked up later", task.name, args, exc)
        else:
            logger.exception("Could not queue %s%r; it will be picked up later", task.name, args)
        return False
    return True


def broker_check() -> None:
    """The broker reached as queueing reaches it: through the breaker, within the same deadline. The embedded
    broker (files) answers while its folder is writable."""
    app = _app()

    def connect():
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0)  # once: a retry would connect again after the deadline
            folder = connection.transport_options.get("data_folder_out")
            if connection.transport.driver_type == "filesystem" and folder:
                with tempfile.NamedTemporaryFile(dir=folder, prefix=".readyz-"):  # a name the broker never reads
                    pass

    broker_breaker().call(within_deadline, connect)
