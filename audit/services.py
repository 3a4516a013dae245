"""The audit record: one call for each step a security review asks about (audit/models.py lists them)."""

import getpass
import os
import socket
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from django.utils.text import Truncator

from .models import AuditEvent

Action = AuditEvent.Action

_request: ContextVar = ContextVar("audit_request", default=None)
_recorded_by_caller: ContextVar[bool] = ContextVar("audit_recorded_by_caller", default=False)


def record(action: Action, *, actor, target: models.Model | None = None, detail: str = "", run_by: str = "") -> None:
    """Write one audit event. Call it inside the transaction of the step it records, so a step rolled back leaves
    no record. `actor` is the person (None for a command or the scheduler; `run_by` then names who ran it).
    Never pass a subscriber as `target` or their address in `detail`: the record outlives an erasure."""
    person = actor if getattr(actor, "pk", None) is not None else None
    AuditEvent.objects.create(
        action=action,
        actor=person,
        actor_name=(person.get_username() if person is not None else run_by)[:200],
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=Truncator(str(target)).chars(300) if target is not None else "",
        detail=Truncator(detail).chars(500),
    )


def operator() -> str:
    """Who ran a command, for the records it leaves: the system user and the machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def acting() -> tuple:
    """(person, run_by) for a change recorded where no view hands over the person (audit/receivers.py): the
    request's signed-in user, or outside a request whoever runs the process."""
    request = _request.get()
    if request is None:
        return None, operator()
    user = getattr(request, "user", None)
    return (user, "") if user is not None and user.is_authenticated else (None, "")


def acting_person(get_response):
    """Middleware, after authentication: remembers the request so a change to an account can be put down to its
    user. The user is looked up only when something is recorded: a reader's page never reads the session here."""

    def middleware(request):
        token = _request.set(request)
        try:
            return get_response(request)
        finally:
            _request.reset(token)

    return middleware


@contextmanager
def recorded_by_caller():
    """Inside, the receivers for Django's and django-otp's models record nothing: the step writes its own, fuller
    event (removing two-factor sign-in on one's own page, a password reset)."""
    token = _recorded_by_caller.set(True)
    try:
        yield
    finally:
        _recorded_by_caller.reset(token)


def is_recorded_by_caller() -> bool:
    return _recorded_by_caller.get()
