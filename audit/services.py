"""The audit record: one call for each step a security review asks about (audit/models.py lists them)."""

from django.db import models
from django.utils.text import Truncator

from .models import AuditEvent

Action = AuditEvent.Action


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
