"""Queueing work for the Celery workers without ever failing the request that asks for it."""

import logging

logger = logging.getLogger(__name__)


def enqueue(task, *args, **options) -> bool:
    """Queue a task; with the broker down, log it and go on (a scheduled sweep or command picks the work up)."""
    try:
        task.apply_async(args=args, retry=False, **options)
    except Exception:
        logger.exception("Could not queue %s%r; it will be picked up later", task.name, args)
        return False
    return True
