"""Embeds resolved on the workers, never in a reader's request (embeds/services.py)."""

from datetime import timedelta

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
    """The scheduler's sweep: embeds saved a while ago and still never fetched (their task was lost with a killed
    worker, or never reached a broker that was down) are queued again. Recent ones are left to the task already
    queued for them; a fetch that runs twice keeps one thumbnail (embeds/services.py)."""
    from .models import Embed

    wait = max(settings.EMBED_RETRY_SECONDS, settings.EMBED_FETCH_TIMEOUT * 2)
    lost = Embed.objects.filter(
        status=Embed.Status.PENDING, fetched_at__isnull=True, created_at__lt=timezone.now() - timedelta(seconds=wait)
    )
    return sum(enqueue(resolve_embed, pk) for pk in lost.values_list("pk", flat=True).iterator())
