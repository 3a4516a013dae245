"""An image's files follow its row: a new picture gets renditions from a worker, a replaced or deleted one
leaves nothing behind in the storage. Connected for every way a row is written (admin, services, commands)."""

from django.db.models.signals import post_delete, post_save, pre_save

from .models import Image
from .services import image_files_delete, image_queue_renditions


def _remember_stored_file(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk and instance.file and not instance.file._committed:
        instance._replaced_file = Image.objects.filter(pk=instance.pk).values_list("file", flat=True).first()


def _saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields and "file" not in update_fields):
        return
    replaced = instance.__dict__.pop("_replaced_file", None)
    if replaced and replaced != instance.file.name:
        image_files_delete(name=replaced, image_pk=instance.pk)
    if instance.width and instance.renditions_missing:
        image_queue_renditions(instance)


def _deleted(sender, instance, **kwargs):
    if instance.file:
        image_files_delete(name=instance.file.name, image_pk=instance.pk)


def connect() -> None:
    uid = "image-files"
    pre_save.connect(_remember_stored_file, sender=Image, dispatch_uid=f"{uid}-before")
    post_save.connect(_saved, sender=Image, dispatch_uid=f"{uid}-saved")
    post_delete.connect(_deleted, sender=Image, dispatch_uid=f"{uid}-deleted")
