from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from newsletter.management import operator
from newsletter.models import Suppression, clean_address
from newsletter.suppression import LIFTED_BY_CONFIRMED_SIGNUP, suppress, suppression_for, unsuppress
from newsroom.text import one_line

# The entry is always "added by staff", its --reason a note; a note saying erasure would pass for one that
# is not (erasing keeps no address, and only the reader can lift it).
ERASURE_WORDS = {"erased", "erasure", "erase", Suppression.Reason.ERASED.label.lower()}


class Command(BaseCommand):
    help = (
        "Put addresses on the suppression list (nothing is sent to them again and their subscriptions end), "
        "or take them off it with --remove."
    )

    def add_arguments(self, parser):
        parser.add_argument("emails", nargs="+", metavar="EMAIL")
        parser.add_argument("--reason", default="", help="Why, kept with the entry (e.g. 'asked by phone').")
        parser.add_argument("--remove", action="store_true", help="Take these addresses off the list instead.")

    def handle(self, *args, emails, reason="", remove=False, **options):
        addresses, bad = [], []
        for email in emails:
            try:
                addresses.append(clean_address(email))  # "Jane <jane@example.org>" is taken as the bare address
            except ValidationError:
                bad.append(one_line(email))  # a line break shown as a space, not breaking the message
        if bad:
            raise CommandError(f"Not an email address: {', '.join(bad)}. Nothing was changed.")
        if not remove and reason.strip().lower() in ERASURE_WORDS:
            raise CommandError(
                "Erasure is not a reason staff give: erase the subscriber instead (delete them in the admin), "
                "which only the reader can undo. Nothing was changed."
            )
        note = f"{reason} (by {operator()} from the command line)" if reason else f"by {operator()} (command line)"
        if remove:
            if not reason:
                raise CommandError("Say why with --reason: it is kept with the entry.")
            for email in addresses:
                existing = suppression_for(email)
                if existing is not None and existing.reason in LIFTED_BY_CONFIRMED_SIGNUP:
                    self.stdout.write(f"{email}: erased on the reader's request; only their own sign-up lifts it")
                    continue
                lifted = unsuppress([email], reason=note)
                self.stdout.write(f"{email}: {'taken off the list' if lifted else 'was not on the list'}")
            return
        for email in addresses:
            existing = suppression_for(email)
            if existing is not None:
                self.stdout.write(f"{email}: already suppressed ({existing.get_reason_display().lower()})")
                continue
            suppress(email, reason=Suppression.Reason.STAFF, note=note)
            self.stdout.write(f"{email}: suppressed")
