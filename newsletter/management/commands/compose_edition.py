import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsletter.editions import edition_compose
from newsletter.models import Newsletter


def newsletter_named(slug: str) -> Newsletter:
    newsletter = Newsletter.objects.filter(slug=slug).first()
    if newsletter is None:
        known = ", ".join(Newsletter.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"There is no newsletter '{slug}'. Newsletters: {known}.")
    return newsletter


def issue_date(value: str | None) -> datetime.date:
    if not value:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date like 2026-12-01, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Compose a newsletter's edition of a date from the stories published since its previous edition. "
        "Idempotent: an edition that exists is left as it is. Prints the edition's id on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--newsletter", metavar="SLUG", default="the-daily", help="Default: the-daily.")
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="Default: today, in the newsroom's time zone.")

    def handle(self, *args, newsletter, date, **options):
        chosen = newsletter_named(newsletter)
        day = issue_date(date)
        edition, created = edition_compose(newsletter=chosen, issue_date=day)
        if edition is None:
            raise CommandError(f"No story has been published since the previous edition of {chosen}: nothing to send.")
        stories = edition.items.count()
        verb = "Composed" if created else "Already there:"
        self.stdout.write(f"{verb} {edition} ({edition.get_status_display().lower()}, {stories} stories)")
        self.stdout.write(str(edition.pk))
