"""Subscriber lists as CSV, streamed row by row in constant memory."""

import codecs
import csv
from collections.abc import Callable, Iterator
from datetime import UTC
from urllib.parse import parse_qsl, urlencode

from django.db import connection, transaction
from django.template.defaultfilters import pluralize

from audit import services as audit

from .models import ConsentEvent, SubscriberExport, Subscription

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
#: The consent history: one row per event of every subscription, all its cycles.
CONSENT_COLUMNS = [
    "email",
    "newsletter",
    "kind",
    "at",
    "source",
    "consent_version",
    "consent_text",
    "ip",
    "user_agent",
    "note",
    "edition_id",
    "edition_date",
]
CONSENT_FIELDS = [
    {
        "email": "subscription__subscriber__email",
        "newsletter": "subscription__newsletter__slug",
        "edition_date": "edition__issue_date",
    }.get(c, c)
    for c in CONSENT_COLUMNS
]
CHUNK_SIZE = 2000  # rows read at a time by the ORM
COPY_PIECE = 64 * 1024  # bytes handed on at a time from PostgreSQL's COPY
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell a spreadsheet could run as a formula is kept as text by a leading apostrophe."""
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object whose write() hands back the CSV line instead of storing it."""

    def write(self, value):
        return value


def csv_lines(queryset, *, on_done: Callable[[int], None] | None = None) -> Iterator[str]:
    """The header, then one CSV line a subscription, read from the database in chunks (on PostgreSQL,
    written by the database itself with COPY, in the same format)."""
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(COLUMNS)
    rows = _copy_lines if connection.vendor == "postgresql" else _orm_lines
    yield from rows(queryset, on_done)


def consent_csv_lines(queryset=None, *, on_done: Callable[[int], None] | None = None) -> Iterator[str]:
    """The header, then one CSV line a consent event, oldest first: every request, confirmation, import,
    subscription and unsubscribe, read in chunks in one query (the address and newsletter joined in)."""
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(CONSENT_COLUMNS)
    queryset = ConsentEvent.objects.all() if queryset is None else queryset
    yield from _orm_lines(queryset, on_done, fields=CONSENT_FIELDS)


def _orm_lines(queryset, on_done, *, fields=FIELDS) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\n")
    count = 0
    for row in queryset.order_by("pk").values_list(*fields).iterator(chunk_size=CHUNK_SIZE):
        count += 1
        yield writer.writerow([neutralise(value) for value in row])
    if on_done is not None:
        on_done(count)


def export_start(*, user=None, run_by: str = "", via: str, filters: str, rows: int) -> SubscriberExport:
    """Record an export as it starts (on the audit record too, with the rows it is about to write): a download
    cut short has still let some of the list out."""
    with transaction.atomic():
        export = SubscriberExport.objects.create(user=user, run_by=run_by[:200], via=via, filters=filters[:1000])
        detail = f"{rows:,} row{pluralize(rows)} via {via}, filters: {_without_search(filters)}"
        audit.record(audit.Action.SUBSCRIBER_EXPORT, actor=user, run_by=run_by, target=export, detail=detail)
    return export


def _without_search(filters: str) -> str:
    """The change list's filters with its search term left out: that can be a reader's address, which the audit
    record must not keep."""
    pairs = parse_qsl(filters, keep_blank_values=True)
    if not any(name == "q" for name, _ in pairs):
        return filters
    return urlencode([(name, "(hidden)" if name == "q" else value) for name, value in pairs], safe="()")


def export_finish(export: SubscriberExport, count: int) -> None:
    SubscriberExport.objects.filter(pk=export.pk).update(row_count=count)


def recorded_csv_lines(
    queryset, *, user=None, run_by: str = "", via: str, filters: str, lines=csv_lines
) -> Iterator[str]:
    """csv_lines (or consent_csv_lines), recorded: who, when, which filter, and (once it is all out) how many
    rows."""
    export = export_start(user=user, run_by=run_by, via=via, filters=filters, rows=queryset.count())
    return lines(queryset, on_done=lambda count: export_finish(export, count))


def subscriptions_filtered(*, newsletter: str | None = None, status: str | None = None):
    queryset = Subscription.objects.all()
    if newsletter:
        queryset = queryset.filter(newsletter__slug=newsletter)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


# PostgreSQL: the same rows and cells as neutralise() makes them, in SQL, so COPY can write the CSV.
_TEXT = "NULLIF(CASE WHEN {c} ~ E'^[=+@\\\\t\\\\r-]' THEN '''' || {c} ELSE {c} END, '')"
_TIME = """to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
_IP = "host({c})"


def _copy_lines(queryset, on_done) -> Iterator[str]:
    model_fields = {field.name: field for field in Subscription._meta.get_fields()}
    cells = []
    for index, name in enumerate(FIELDS):
        field = model_fields.get(name)
        kind = field.get_internal_type() if field is not None else ""
        template = {"DateTimeField": _TIME, "GenericIPAddressField": _IP}.get(kind, _TEXT)
        cells.append(template.format(c=f"c{index}"))
    sql, params = queryset.order_by("pk").values_list(*FIELDS).query.sql_with_params()
    aliases = ", ".join(f"c{index}" for index in range(len(FIELDS)))
    select = f"SELECT {', '.join(cells)} FROM ({sql}) AS rows ({aliases})"  # noqa: S608 (the ORM's own SQL)
    copy_sql = f"COPY ({select}) TO STDOUT WITH (FORMAT csv)"
    decoder = codecs.getincrementaldecoder("utf-8")()
    buffered, size = [], 0
    with connection.cursor() as cursor:
        with cursor.copy(copy_sql, params) as copy:
            for block in copy:  # a row at a time, gathered into pieces of about COPY_PIECE bytes
                buffered.append(bytes(block))
                size += len(block)
                if size >= COPY_PIECE:
                    yield decoder.decode(b"".join(buffered))
                    buffered, size = [], 0
        if buffered:
            yield decoder.decode(b"".join(buffered), final=True)
        count = cursor.rowcount
    if on_done is not None:
        on_done(count)
