import os
import sys

from django.core.management.base import BaseCommand, CommandError

from newsletter.export import recorded_csv_lines, subscriptions_filtered
from newsletter.management import operator
from newsletter.models import Newsletter, Subscription


class Command(BaseCommand):
    help = "Write subscriptions as CSV to standard output (streamed; recorded as an export)."

    def add_arguments(self, parser):
        parser.add_argument("--newsletter", metavar="SLUG", help="Only this newsletter, e.g. the-daily.")
        parser.add_argument("--status", choices=Subscription.Status.values, help="Only subscriptions in this state.")

    def handle(self, *args, newsletter=None, status=None, **options):
        if newsletter and not Newsletter.objects.filter(slug=newsletter).exists():
            known = ", ".join(Newsletter.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"There is no newsletter '{newsletter}'. Newsletters: {known}.")
        filters = " ".join(f"--{k} {v}" for k, v in (("newsletter", newsletter), ("status", status)) if v)
        queryset = subscriptions_filtered(newsletter=newsletter, status=status)
        try:
            lines = recorded_csv_lines(queryset, run_by=operator(), via="command", filters=filters or "everything")
            for line in lines:
                self.stdout.write(line, ending="")
            self.stdout.flush()
        except BrokenPipeError:
            # The reader of the pipe stopped early (e.g. `| head`): stop quietly; the export stays unfinished.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None
