"""Embeds resolved on the workers, never in a reader's request (embeds/services.py)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from newsroom.queueing import enqueue


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # The fetch has its own deadline; this only stops a task the fetch's deadline somehow did not.
    soft_time_limit=getattr(settings, "EMBED_FETCH_TIMEOUT", 10) * 6,
)
def resolve_embed(embed_id: int) -> str | None:
    from .models import Embed
    from .services import embed_resolve

    embed = Embed.objects.filter(pk=embed_id).first()
    if embed is None:
        return None  # deleted since it was queued
    return embed_resolve(embed).status


@shared_task(acks_late=True)
def queue_lost_embeds() -> int:
    """The scheduler's sweep: embeds whose next attempt is due are queued again — a fetch that failed, after its
    pause, and one lost with a killed worker or never queued (the broker was down). After EMBED_FETCH_ATTEMPTS
    fetches begun and none finished well, an embed is left failed until someone asks again (embeds/services.py);
    a fetch that runs twice keeps one thumbnail."""
    from .models import Embed
    from .services import queued_grace

    due = Embed.objects.due()
    attempts = settings.EMBED_FETCH_ATTEMPTS
    due.filter(attempts__gte=attempts).update(
        status=Embed.Status.FAILED, error=f"no fetch finished in {attempts} attempts", next_attempt_at=None
    )
    pks = list(due.values_list("pk", flat=True)[:500])
    # Not queued again by the next sweep while this one's task waits for a worker.
    Embed.objects.filter(pk__in=pks).update(next_attempt_at=timezone.now() + queued_grace())
    return sum(enqueue(resolve_embed, pk) for pk in pks)
