"""Bring a subscriber list from another provider: CSV in, every bad row reported, nothing else skipped."""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .export import FORMULA_STARTS
from .models import Newsletter, Subscriber, Subscription, normalise_email

BATCH = 1000
EMAIL_HEADERS = {"email", "email_address", "e-mail", "e_mail", "emailaddress", "mail", "address"}
UNSUBSCRIBED = {"unsubscribed", "unsubscribe", "cleaned", "bounced", "complained", "inactive"}
ACTIVE = {"", "active", "subscribed", "confirmed", "pending", "yes", "true", "1"}


@dataclass
class RowError:
    line: int
    value: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    already_there: int = 0
    repeated: int = 0
    errors: list[RowError] = field(default_factory=list)
    problem: str = ""  # the file as a whole could not be read

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class _Row:
    email: str
    newsletter_id: int
    status: str
    subscribed_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None


def _header_key(name: str) -> str:
    return (name or "").strip().lower().replace(" ", "_")


def _unquote(value: str) -> str:
    """Undo the apostrophe our export puts before cells that look like formulas."""
    value = (value or "").strip()
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def _when(value: str) -> datetime | None:
    value = _unquote(value)
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None and (day := parse_date(value)):
        parsed = datetime(day.year, day.month, day.day)
    if parsed is None:
        raise ValueError(f"'{value}' is not a date (use 2026-11-25 or 2026-11-25T09:30:00Z)")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _read_text(uploaded) -> str:
    raw = uploaded.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _reader(text: str):
    """Commas, semicolons (a European spreadsheet's CSV) or tabs, whichever the file uses."""
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text), dialect)


def subscribers_import(*, file, newsletter: Newsletter, consent_note: str, user=None) -> ImportReport:
    """Import a CSV (our export's columns, another provider's, or just addresses): new rows become active
    subscriptions with source 'import'; existing ones are left as they are; bad rows are listed by line."""
    report = ImportReport()
    reader = _reader(_read_text(file))
    try:
        first = next(reader)
    except StopIteration:
        report.problem = "The file is empty."
        return report
    except csv.Error as exc:
        report.problem = f"The file is not a readable CSV file ({exc})."
        return report

    keys = [_header_key(cell) for cell in first]
    email_column = next((i for i, key in enumerate(keys) if key in EMAIL_HEADERS), None)
    if email_column is None:
        if len(first) == 1 and "@" in first[0]:  # just addresses, no header row
            keys, email_column = ["email"], 0
            reader = iter([[first[0]], *reader])
            first_line = 1
        else:
            report.problem = "No email column: the first row must name one (email, Email Address, …)."
            return report
    else:
        first_line = 2
    column = {key: i for i, key in reversed(list(enumerate(keys)))}

    newsletters = {n.slug.lower(): n.pk for n in Newsletter.objects.all()}
    newsletters |= {n.name.lower(): n.pk for n in Newsletter.objects.all()}
    now = timezone.now()
    wanted: dict[tuple[str, int], _Row] = {}

    line = first_line - 1
    try:
        for line, cells in enumerate(reader, start=first_line):
            if not any(cell.strip() for cell in cells):
                continue
            report.rows += 1

            def cell(name, cells=cells):
                index = column.get(name)
                return _unquote(cells[index]) if index is not None and index < len(cells) else ""

            raw_email = _unquote(cells[email_column]) if email_column < len(cells) else ""
            email = normalise_email(raw_email)
            try:
                validate_email(email)
                if len(email) > 254:
                    raise ValidationError("too long")
            except ValidationError:
                report.errors.append(RowError(line, raw_email, "not a valid email address"))
                continue
            newsletter_name = cell("newsletter")
            newsletter_id = newsletters.get(newsletter_name.lower()) if newsletter_name else newsletter.pk
            if newsletter_id is None:
                report.errors.append(RowError(line, raw_email, f"no newsletter called '{newsletter_name}'"))
                continue
            status_value = cell("status").lower()
            if status_value in UNSUBSCRIBED:
                status = Subscription.Status.UNSUBSCRIBED
            elif status_value in ACTIVE:
                status = Subscription.Status.ACTIVE
            else:
                report.errors.append(RowError(line, raw_email, f"unknown status '{cell('status')}'"))
                continue
            try:
                subscribed_at = _when(cell("subscribed_at")) or now
                confirmed_at = _when(cell("confirmed_at"))
                unsubscribed_at = _when(cell("unsubscribed_at"))
            except ValueError as exc:
                report.errors.append(RowError(line, raw_email, str(exc)))
                continue
            if (email, newsletter_id) in wanted:
                report.repeated += 1
                continue
            active = status == Subscription.Status.ACTIVE
            wanted[(email, newsletter_id)] = _Row(
                email=email,
                newsletter_id=newsletter_id,
                status=status,
                subscribed_at=subscribed_at,
                confirmed_at=(confirmed_at or subscribed_at) if active else confirmed_at,
                unsubscribed_at=None if active else (unsubscribed_at or now),
            )
    except csv.Error as exc:
        report.problem = f"Line {line + 1} could not be read as CSV ({exc}); nothing was imported."
        return report

    with transaction.atomic():
        subscriber_ids = _subscriber_ids({email for email, _ in wanted})
        existing = _existing_pairs(subscriber_ids, {newsletter_id for _, newsletter_id in wanted})
        new = [
            Subscription(
                subscriber_id=subscriber_ids[row.email],
                newsletter_id=row.newsletter_id,
                status=row.status,
                subscribed_at=row.subscribed_at,
                confirmed_at=row.confirmed_at,
                unsubscribed_at=row.unsubscribed_at,
                source="import",
                consent_text=consent_note,
                consent_version="import",
            )
            for row in wanted.values()
            if (subscriber_ids[row.email], row.newsletter_id) not in existing
        ]
        Subscription.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    report.created = len(new)
    report.already_there = len(wanted) - len(new)
    return report


def _chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _subscriber_ids(emails: set[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in _chunks(emails):
        ids.update(Subscriber.objects.filter(email__in=chunk).values_list("email", "pk"))
    missing = [Subscriber(email=email) for email in emails if email not in ids]
    Subscriber.objects.bulk_create(missing, batch_size=BATCH, ignore_conflicts=True)
    for chunk in _chunks(subscriber.email for subscriber in missing):
        ids.update(Subscriber.objects.filter(email__in=chunk).values_list("email", "pk"))
    return ids


def _existing_pairs(subscriber_ids: dict[str, int], newsletter_ids: set[int]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for chunk in _chunks(subscriber_ids.values()):
        pairs.update(
            Subscription.objects.filter(subscriber_id__in=chunk, newsletter_id__in=newsletter_ids).values_list(
                "subscriber_id", "newsletter_id"
            )
        )
    return pairs
