"""Subscriber lists as CSV, streamed row by row in constant memory."""

import csv
from collections.abc import Callable, Iterator

from .models import SubscriberExport, Subscription

#: What Mailchimp, Ghost and listmonk read on import.
STANDARD_COLUMNS = ["email", "newsletter", "status", "subscribed_at", "confirmed_at", "unsubscribed_at", "source"]
#: The consent ledger: what was shown, and where the sign-up and the confirmation came from.
LEDGER_COLUMNS = [
    "consent_version",
    "consent_text",
    "signup_ip",
    "signup_user_agent",
    "confirm_ip",
    "confirm_user_agent",
]
COLUMNS = STANDARD_COLUMNS + LEDGER_COLUMNS
FIELDS = [{"email": "subscriber__email", "newsletter": "newsletter__slug"}.get(c, c) for c in COLUMNS]
CHUNK_SIZE = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell a spreadsheet could run as a formula is kept as text by a leading apostrophe."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object whose write() hands back the CSV line instead of storing it."""

    def write(self, value):
        return value


def csv_lines(queryset, *, on_done: Callable[[int], None] | None = None) -> Iterator[str]:
    """The header, then one CSV line a subscription, read from the database in chunks."""
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    count = 0
    for row in queryset.order_by("pk").values_list(*FIELDS).iterator(chunk_size=CHUNK_SIZE):
        count += 1
        yield writer.writerow([neutralise(value) for value in row])
    if on_done is not None:
        on_done(count)


def export_start(*, user=None, run_by: str = "", via: str, filters: str) -> SubscriberExport:
    return SubscriberExport.objects.create(user=user, run_by=run_by[:200], via=via, filters=filters[:1000])


def export_finish(export: SubscriberExport, count: int) -> None:
    SubscriberExport.objects.filter(pk=export.pk).update(row_count=count)


def recorded_csv_lines(queryset, *, user=None, run_by: str = "", via: str, filters: str) -> Iterator[str]:
    """csv_lines, recorded: who, when, which filter, and (once it is all out) how many rows."""
    export = export_start(user=user, run_by=run_by, via=via, filters=filters)
    return csv_lines(queryset, on_done=lambda count: export_finish(export, count))


def subscriptions_filtered(*, newsletter: str | None = None, status: str | None = None):
    queryset = Subscription.objects.all()
    if newsletter:
        queryset = queryset.filter(newsletter__slug=newsletter)
    if status:
        queryset = queryset.filter(status=status)
    return queryset
