from django.core.management.base import BaseCommand

from articles.models import Image
from articles.services import image_build_renditions


class Command(BaseCommand):
    help = (
        "Make the renditions images are missing (a lost task, restored media), here rather than on a worker; "
        "--replace remakes them all."
    )

    def add_arguments(self, parser):
        parser.add_argument("--replace", action="store_true", help="Remake renditions that already exist.")

    def handle(self, *args, replace=False, **options):
        written = failed = 0
        for image in Image.objects.exclude(file="").order_by("pk").iterator():
            try:
                written += image_build_renditions(image=image, replace=replace)
            except (OSError, ValueError) as exc:
                failed += 1
                self.stderr.write(f"Image {image.pk} ({image.file.name}): {exc}")
        self.stdout.write(f"{written} rendition files written, {failed} images failed.")
        if failed:
            raise SystemExit(1)
