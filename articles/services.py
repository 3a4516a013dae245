from django.db import transaction

from . import imaging
from .models import Article, Image, OldSlug


class EditConflict(Exception):
    """Someone else saved the article after this editor opened it."""


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


def article_save(*, article: Article, user, expected_version: int | None) -> Article:
    """Save an edit only if nobody else saved the article since it was opened at expected_version.

    The check is the database update itself: the version moves on only where it still matches.
    """
    with transaction.atomic():
        before = Article.objects.filter(pk=article.pk).values("slug", "first_published_at").first()
        if article.pk is not None and expected_version is not None:
            claimed = Article.objects.filter(pk=article.pk, version=expected_version).update(
                version=expected_version + 1
            )
            if not claimed:
                raise EditConflict
            article.version = expected_version + 1
        article.updated_by = user
        article.save()
        if before and before["slug"] != article.slug and before["first_published_at"]:
            # Readers and search engines know the old address: keep it working.
            OldSlug.objects.filter(slug=article.slug).delete()
            OldSlug.objects.update_or_create(slug=before["slug"], defaults={"article": article})
    return article
