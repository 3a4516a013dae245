"""Image uploads and renditions, with Pillow.

Uploads are decoded in full before anything is stored, so a file that only claims to be an
image, a truncated one or a decompression bomb is refused with a clear message. What is
stored is re-encoded: orientation applied, EXIF (GPS included) and other metadata dropped.
Renditions are made by a worker after the upload commits (articles/tasks.py), at deterministic names,
and the image records which widths exist, so pages point at them without a query or a storage
request: until they exist a page shows the nearest one there is, or the stored original.
"""

import hashlib
import io
import mimetypes
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageOps

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
RENDITION_WIDTHS = (320, 640, 960, 1280, 1600)
WEBP_QUALITY = 80
JPEG_QUALITY = 82


@dataclass(frozen=True)
class Rendition:
    url: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return mimetypes.guess_type(self.url.partition("?")[0])[0] or "application/octet-stream"


def _max_bytes() -> int:
    return settings.IMAGE_MAX_UPLOAD_MB * 1024 * 1024


def _max_pixels() -> int:
    return settings.IMAGE_MAX_MEGAPIXELS * 1_000_000


def prepare_upload(uploaded) -> ContentFile:
    """Check an uploaded file and return a clean copy to store, or raise ValidationError."""
    size = getattr(uploaded, "size", None)
    if size is not None and size > _max_bytes():
        raise ValidationError(
            "This file is %(size).1f MB; images may be at most %(limit)d MB.",
            code="file_too_large",
            params={"size": size / 1024 / 1024, "limit": settings.IMAGE_MAX_UPLOAD_MB},
        )
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    data = uploaded.read(_max_bytes() + 1)
    if len(data) > _max_bytes():
        raise ValidationError(
            "This file is larger than %(limit)d MB, the limit for images.",
            code="file_too_large",
            params={"limit": settings.IMAGE_MAX_UPLOAD_MB},
        )
    not_an_image = ValidationError(
        "This file is not a JPEG, PNG, WebP or GIF image. Upload a photo or graphic in one of those formats.",
        code="invalid_image",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            image = PILImage.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise _too_many_pixels() from exc
        except Exception as exc:
            raise not_an_image from exc
        width, height = image.size
        if width * height > _max_pixels():
            raise _too_many_pixels(width, height)
        damaged = ValidationError(
            "This image file is damaged or incomplete (the upload may have been cut "
            "short). Export it again and upload the new file.",
            code="truncated_image",
        )
        try:
            frames = getattr(image, "n_frames", 1)
        except Exception as exc:
            raise damaged from exc
        if frames > 1 and width * height * frames > _max_pixels():
            raise ValidationError(
                "This animation has %(frames)d frames of %(width)d×%(height)d pixels, more than the "
                "%(limit)d megapixels an image may have in all. Shorten or shrink it.",
                code="too_many_pixels",
                params={"frames": frames, "width": width, "height": height, "limit": settings.IMAGE_MAX_MEGAPIXELS},
            )
        image_format = image.format
        try:
            image.seek(0)
            image.load()
            content = _reencode(image, image_format)
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise _too_many_pixels(width, height) from exc
        except Exception as exc:
            raise damaged from exc
    name = PurePosixPath(getattr(uploaded, "name", "") or "image").stem
    stem = slugify(name)[:80] or "image"
    return ContentFile(content, name=f"{stem}.{ALLOWED_FORMATS[image_format]}")


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    if width and height:
        return ValidationError(
            "This image is %(width)d×%(height)d pixels; images may have at most "
            "%(limit)d megapixels. Resize it and upload it again.",
            code="too_many_pixels",
            params={"width": width, "height": height, "limit": settings.IMAGE_MAX_MEGAPIXELS},
        )
    return ValidationError(
        "This image has far too many pixels to be processed safely; images may have at most %(limit)d megapixels.",
        code="too_many_pixels",
        params={"limit": settings.IMAGE_MAX_MEGAPIXELS},
    )


def _reencode(image: PILImage.Image, image_format: str) -> bytes:
    """Store pixels only: orientation applied, metadata (EXIF, GPS, XMP, comments) dropped."""
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    image.info.pop("comment", None)
    if image_format == "GIF" and getattr(image, "is_animated", False):
        image.save(out, "GIF", save_all=True, loop=image.info.get("loop", 0))
        return out.getvalue()
    image = ImageOps.exif_transpose(image)
    image.info.pop("exif", None)
    if image_format == "JPEG":
        image = image.convert("RGB") if image.mode not in {"RGB", "L", "CMYK"} else image
        image.save(out, "JPEG", quality=92, optimize=True, progressive=True, **extra)
    elif image_format == "WEBP":
        image.save(out, "WEBP", quality=90, method=4, **extra)
    elif image_format == "PNG":
        image.save(out, "PNG", optimize=image.width * image.height < 4_000_000, **extra)
    else:
        image.save(out, "GIF")
    return out.getvalue()


def fallback_extension(original_name: str) -> str:
    """JPEG for photographs; PNG where the original may carry transparency."""
    return "jpg" if PurePosixPath(original_name).suffix.lower() in {".jpg", ".jpeg"} else "png"


def rendition_widths(width: int) -> list[int]:
    """The standard widths below the original's, then the original's (capped at the largest)."""
    widths = [w for w in RENDITION_WIDTHS if w < width]
    largest = min(width, RENDITION_WIDTHS[-1])
    return widths if largest in widths else [*widths, largest]


def rendition_folder(image_pk: int) -> str:
    return f"renditions/{image_pk}"


def rendition_name(image_pk: int, original_name: str, width: int, extension: str) -> str:
    """Named after the stored original, so a replaced picture never reuses an old URL."""
    path = PurePosixPath(original_name)
    digest = hashlib.sha256(original_name.encode()).hexdigest()[:8]
    return f"{rendition_folder(image_pk)}/{path.stem[:60]}-{digest}-{width}w.{extension}"


def rendition_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    return target_width, max(1, round(height * target_width / width))


def build_renditions(*, image_pk: int, original_name: str, storage=None, replace: bool = False) -> int:
    """Write every rendition of one stored image; return how many files were written.

    Idempotent: a rendition that exists is kept (unless `replace`), and when two workers write the same one
    at once the copy the storage saved under another name is removed."""
    storage = storage or default_storage
    with storage.open(original_name, "rb") as fh:
        source = PILImage.open(fh)
        source.load()
    source = ImageOps.exif_transpose(source)
    fallback = fallback_extension(original_name)
    has_alpha = source.mode in {"RGBA", "LA", "PA"} or "transparency" in source.info
    source = source.convert("RGBA" if has_alpha else "RGB")
    written = 0
    wanted = set()
    for width in rendition_widths(source.width):
        size = rendition_size(source.width, source.height, width)
        resized = source if size == source.size else source.resize(size, PILImage.Resampling.LANCZOS)
        for extension in ("webp", fallback):
            name = rendition_name(image_pk, original_name, width, extension)
            wanted.add(name)
            if storage.exists(name):
                if not replace:
                    continue
                storage.delete(name)
            out = io.BytesIO()
            if extension == "webp":
                resized.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
            elif extension == "jpg":
                resized.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
            else:
                resized.save(out, "PNG", optimize=True)
            saved = storage.save(name, ContentFile(out.getvalue()))
            if saved != name:  # another worker wrote it first: theirs is the same picture
                storage.delete(saved)
            written += 1
    remove_renditions(image_pk, storage=storage, keep=wanted)
    return written


def remove_renditions(image_pk: int, *, storage=None, keep=frozenset()) -> None:
    """Delete this image's renditions but those in `keep` (all of them when the image is deleted)."""
    storage = storage or default_storage
    folder = rendition_folder(image_pk)
    try:
        _, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for file_name in files:
        if f"{folder}/{file_name}" not in keep:
            storage.delete(f"{folder}/{file_name}")
