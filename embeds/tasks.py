"""Embeds resolved on the workers, never in a reader's request (embeds/services.py)."""

from celery import shared_task
from django.conf import settings


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
