"""A circuit breaker per process, for a shared service the site can carry on without (the cache, the broker).

Closed while the service answers; after a failure, open for `seconds`: every call fails at once, without touching
the network; then half-open, letting one caller through to try (the others still fail at once), whose success
closes it again. A service that is down, or hung, costs each process one short wait per period, not one per call.
"""

import logging
import threading
import time


class Breaker:
    def __init__(
        self,
        name: str,
        seconds: float,
        *,
        what: str,
        failures: tuple[type[BaseException], ...],
        unavailable: type[Exception],
        logger: logging.Logger,
    ):
        self.name, self.seconds, self.what = name, seconds, what
        self.failures, self.unavailable, self.logger = failures, unavailable, logger
        self.open_until = 0.0
        self._trial = threading.Lock()

    @property
    def is_open(self) -> bool:
        return bool(self.open_until) and time.monotonic() < self.open_until

    def call(self, operation, *args, **kwargs):
        if self.open_until:
            if time.monotonic() < self.open_until or not self._trial.acquire(blocking=False):
                raise self.unavailable(f"The {self.what} at {self.name} failed less than {self.seconds:g} s ago.")
            try:
                return self._attempt(operation, *args, **kwargs)
            finally:
                self._trial.release()
        return self._attempt(operation, *args, **kwargs)

    def _attempt(self, operation, *args, **kwargs):
        try:
            result = operation(*args, **kwargs)
        except self.failures as exc:
            if not self.open_until or time.monotonic() >= self.open_until:
                self.logger.warning(
                    "The %s at %s did not answer (%s): carrying on without it for %g s.",
                    self.what,
                    self.name,
                    exc.__class__.__name__,
                    self.seconds,
                )
            self.open_until = time.monotonic() + self.seconds
            raise
        if self.open_until:
            self.logger.warning("The %s at %s answers again.", self.what, self.name)
            self.open_until = 0.0
        return result


class Breakers(dict):
    """One breaker per service per process, shared by every thread."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def get_or_make(self, key: str, make) -> Breaker:
        with self._lock:
            if key not in self:
                self[key] = make()
            return self[key]
