from django.db import transaction

from . import imaging
from .models import Image


def image_build_renditions(*, image: Image, replace: bool = False) -> int:
    """Make the image's renditions once, so no reader's request ever has to."""
    return imaging.build_renditions(image_pk=image.pk, original_name=image.file.name, replace=replace)


@transaction.atomic
def image_create(*, file, alt_text: str, caption: str = "", credit: str = "", uploaded_by=None) -> Image:
    """Store a checked, metadata-free copy of an upload and build its renditions after commit."""
    image = Image(alt_text=alt_text, caption=caption, credit=credit, uploaded_by=uploaded_by)
    image.full_clean(exclude=["file"])
    cleaned = imaging.prepare_upload(file)
    image.file.save(cleaned.name, cleaned, save=False)
    image.save()
    transaction.on_commit(lambda: image_build_renditions(image=image))
    return image
