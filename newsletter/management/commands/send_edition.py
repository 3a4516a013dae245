from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsletter.editions import EditionStateError, edition_schedule, edition_send_now
from newsletter.management import operator
from newsletter.models import Edition

from .compose_edition import issue_date, newsletter_named


class Command(BaseCommand):
    help = (
        "Approve an edition to go out at its newsletter's send time, or with --now at once; a worker sends it. "
        "Name it by id, or by --newsletter and --date."
    )

    def add_arguments(self, parser):
        parser.add_argument("id", nargs="?", type=int, help="The edition's id (compose_edition prints it).")
        parser.add_argument("--newsletter", metavar="SLUG")
        parser.add_argument("--date", metavar="YYYY-MM-DD")
        parser.add_argument("--now", action="store_true", help="Start sending now instead of at the send time.")

    def handle(self, *args, id=None, newsletter=None, date=None, now=False, **options):
        if id is not None and (newsletter or date):
            raise CommandError("Name the edition by its id or by --newsletter and --date, not both.")
        if id is not None:
            edition = Edition.objects.select_related("newsletter").filter(pk=id).first()
        elif newsletter and date:
            edition = Edition.objects.filter(
                newsletter=newsletter_named(newsletter), issue_date=issue_date(date)
            ).first()
        else:
            raise CommandError("Name the edition: its id, or --newsletter SLUG --date YYYY-MM-DD.")
        if edition is None:
            raise CommandError("There is no such edition. compose_edition makes the day's edition.")
        try:
            if now:
                edition = edition_send_now(edition=edition, user=None, run_by=operator())
            else:
                edition = edition_schedule(edition=edition, user=None, run_by=operator())
        except EditionStateError as error:
            raise CommandError(str(error)) from None
        if now:
            self.stdout.write(f"Sending {edition} to {edition.recipient_count} recipients; a worker sends it.")
        else:
            at = timezone.localtime(edition.send_at)
            self.stdout.write(f"Scheduled {edition} for {at:%Y-%m-%d %H:%M %Z}; a worker sends it then.")
        self.stdout.write(str(edition.pk))
