"""The Celery app: `celery -A newsroom worker` (and `celery -A newsroom beat`, the scheduler).

Configured from Django's settings (the CELERY_* names); the broker is CELERY_BROKER_URL, or files under
CELERY_BROKER_DIR when it is unset, so development needs no service.
"""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun
from kombu.transport import TRANSPORT_ALIASES

from newsroom import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

# filesystem:// (the embedded broker) writes each message whole before a worker can read it (newsroom/broker.py).
TRANSPORT_ALIASES["filesystem"] = "newsroom.broker:Transport"

app = Celery("newsroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["newsroom"])  # the project package is no installed app: its own tasks

# The request that queues a task names it in the task's headers; the worker logs the task under that id.
before_task_publish.connect(request_id.task_headers_add, dispatch_uid="newsroom.request_id.publish")
task_prerun.connect(request_id.task_started, dispatch_uid="newsroom.request_id.prerun")
task_postrun.connect(request_id.task_finished, dispatch_uid="newsroom.request_id.postrun")


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs):
    """The embedded broker's folders, made by whoever first uses them (web process, worker or scheduler)."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            os.makedirs(options[key], exist_ok=True)
    if sender.conf.beat_schedule_filename:
        os.makedirs(os.path.dirname(sender.conf.beat_schedule_filename), exist_ok=True)
