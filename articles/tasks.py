"""Image work on the Celery workers: renditions after an upload commits, and storage clean-up after a delete.

Both are safe to run twice or at once on two workers: the names are deterministic and the image row says which
renditions exist.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from newsroom.queueing import enqueue

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),  # storage out of reach, mostly; a picture that cannot be read stops after these
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def build_image_renditions(image_id: int) -> int:
    from .models import Image
    from .services import image_build_renditions

    image = Image.objects.filter(pk=image_id).first()
    if image is None or not image.file:
        return 0  # deleted since it was queued
    return image_build_renditions(image=image)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def delete_image_files(name: str, image_pk: int) -> None:
    """Remove a picture no image uses any more: its original, and its renditions once the image is gone."""
    from django.core.files.storage import default_storage

    from . import imaging
    from .models import Image

    if not Image.objects.filter(file=name).exists():
        default_storage.delete(name)
    image = Image.objects.filter(pk=image_pk).first()
    if image is None:
        imaging.remove_renditions(image_pk)
    # A replaced picture's renditions are removed by the build of the new one's.


@shared_task(acks_late=True)
def queue_missing_renditions() -> int:
    """The scheduler's sweep: images whose renditions were never queued or never finished (a broker outage,
    a worker that gave up) are queued again. Recent uploads are left to the task already queued for them."""
    from .models import Image

    settled = timezone.now() - timedelta(minutes=2)
    waiting = Image.objects.filter(built_widths=[], uploaded_at__lt=settled, width__gt=0).exclude(file="")
    return sum(enqueue(build_image_renditions, pk) for pk in waiting.values_list("pk", flat=True).iterator())
