"""Bring a subscriber list from another provider: CSV in, every bad row reported, nothing else skipped.

Understood: our own export; Mailchimp (Email Address, OPTIN_TIME, CONFIRM_TIME, UNSUB_TIME,
CLEAN_TIME); Ghost (email, subscribed_to_emails, created_at); listmonk (email, status
enabled/disabled/blocklisted, created_at); or a file of bare addresses.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from audit import services as audit

from .export import FORMULA_STARTS
from .models import ConsentEvent, Newsletter, Subscriber, Subscription, Suppression, clean_address
from .suppression import address_hash, suppress_many, suppressed_hashes

BATCH = 1000
ALIASES = {
    "email": {"email", "email_address", "e-mail", "e_mail", "emailaddress", "mail"},
    "newsletter": {"newsletter", "list"},
    "status": {"status"},
    "subscribed": {"subscribed_to_emails", "subscribed"},
    "subscribed_at": {"subscribed_at", "optin_time", "created_at", "created"},
    "confirmed_at": {"confirmed_at", "confirm_time"},
    "unsubscribed_at": {"unsubscribed_at", "unsub_time", "clean_time", "cleaned_at"},
}
UNSUBSCRIBED = {
    "unsubscribed",
    "unsubscribe",
    "cleaned",
    "bounced",
    "complained",
    "blocklisted",
    "blacklisted",
    "disabled",
}
# Statuses other providers give addresses they stopped mailing: we put them on the suppression list.
SUPPRESSING = {
    "cleaned": Suppression.Reason.HARD_BOUNCE,  # Mailchimp: bounced for good
    "bounced": Suppression.Reason.HARD_BOUNCE,
    "complained": Suppression.Reason.COMPLAINT,
    "blocklisted": Suppression.Reason.STAFF,  # listmonk
    "blacklisted": Suppression.Reason.STAFF,
}
ACTIVE = {"", "active", "subscribed", "confirmed", "enabled"}
NOT_CONFIRMED = {"pending", "unconfirmed"}
NO = {"false", "no", "0", "n"}
EARLIEST, LATEST = 1970, 2100


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
    suppressed: int = 0
    newly_suppressed: int = 0
    errors: list[RowError] = field(default_factory=list)
    problem: str = ""  # the file as a whole could not be used

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


class RowProblem(Exception):
    pass


def _header_key(name: str) -> str:
    key = (name or "").strip().lstrip("\ufeff").lower().replace(" ", "_")
    return next((ours for ours, names in ALIASES.items() if key in names), key)


def _unquote(value: str) -> str:
    """Undo the apostrophe our export puts before cells that look like formulas."""
    value = (value or "").strip()
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def _when(value: str) -> datetime | None:
    value = _unquote(value)
    if not value:
        return None
    try:
        parsed = _iso_datetime(value) or parse_datetime(value)
        if parsed is None and (day := parse_date(value)):
            parsed = datetime(day.year, day.month, day.day)
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowProblem(f"'{value[:40]}' is not a date (use 2026-11-25 or 2026-11-25T09:30:00Z)")
    if not EARLIEST <= parsed.year <= LATEST:
        raise RowProblem(f"the date '{value[:40]}' is outside {EARLIEST}–{LATEST}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _iso_datetime(value: str) -> datetime | None:
    """The common case, ISO 8601 with a time, at C speed; anything else goes to Django's parsers."""
    if len(value) < 16 or value[10] not in "T ":
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _read_text(uploaded) -> str:
    raw = uploaded.read()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _records(text: str):
    """(first line number, cells) for each record; a record that is not valid CSV gives (line, None)."""
    csv.field_size_limit(max(csv.field_size_limit(), settings.NEWSLETTER_IMPORT_MAX_MB * 1024 * 1024))
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield line, None
        else:
            yield line, cells
        line = reader.line_num + 1


def subscribers_import(*, file, newsletter: Newsletter, consent_note: str, user=None) -> ImportReport:
    """Import a CSV: new rows become subscriptions with source 'import' (active unless the file says they
    left); existing ones are left exactly as they are; every bad row is listed with its line and reason."""
    report = ImportReport()
    records = _records(_read_text(file))
    first = next(records, None)
    if first is None or first[1] is None or not any(cell.strip() for cell in first[1]):
        report.problem = "The file is empty or its first line is not CSV."
        return report
    keys = [_header_key(cell) for cell in first[1]]
    if "email" not in keys:
        if len(first[1]) == 1 and "@" in first[1][0]:  # bare addresses, no header row
            keys, records = ["email"], _chain(first, records)
        else:
            report.problem = "No email column: the first row must name one (email, Email Address, …)."
            return report
    column = {key: index for index, key in reversed(list(enumerate(keys)))}
    newsletters = {}
    for n in Newsletter.objects.all():
        newsletters |= {n.slug.lower(): n.pk, n.name.lower(): n.pk}
    now = timezone.now()
    wanted: dict[tuple[str, int], _Row] = {}
    to_suppress: dict[str, str] = {}

    for line, cells in records:
        if cells is not None and not any(cell.strip() for cell in cells):
            continue
        report.rows += 1
        if cells is None:
            report.errors.append(RowError(line, "", "this line is not valid CSV"))
            continue

        def cell(name, cells=cells):
            index = column.get(name)
            return _unquote(cells[index]) if index is not None and index < len(cells) else ""

        raw_email = cell("email")
        reason = SUPPRESSING.get(cell("status").strip().lower())
        if reason is not None and _is_address(raw_email):
            to_suppress.setdefault(clean_address(raw_email), reason)
            continue
        try:
            row = _row(cell, raw_email=raw_email, default_newsletter=newsletter, newsletters=newsletters, now=now)
        except RowProblem as problem:
            report.errors.append(RowError(line, raw_email[:254], str(problem)))
            continue
        if (row.email, row.newsletter_id) in wanted:
            report.repeated += 1
            continue
        wanted[(row.email, row.newsletter_id)] = row

    # Addresses on the suppression list (bounced, complained, erased…) are never added back, not even as
    # a record: an erased reader's address must not return with an old export.
    suppressed = suppressed_hashes({email for email, _ in wanted})
    if suppressed:
        kept = {key: row for key, row in wanted.items() if address_hash(row.email) not in suppressed}
        report.suppressed, wanted = len(wanted) - len(kept), kept
    try:
        with transaction.atomic():
            report.created = _store(wanted, consent_note=consent_note, user=user, now=now)
            if to_suppress:
                note = "Imported: the previous provider had stopped mailing it (bounced, complained or blocked)"
                report.newly_suppressed = suppress_many(to_suppress, note=note, user=user)
            added, suppressed = report.created, report.newly_suppressed
            detail = (
                f"{added:,} subscription{pluralize(added)} added, {suppressed:,} address{pluralize(suppressed, 'es')} "
                f"suppressed ({report.rows:,} row{pluralize(report.rows)} read, {len(report.errors):,} refused)"
            )
            audit.record(audit.Action.SUBSCRIBER_IMPORT, actor=user, target=newsletter, detail=detail)
    except IntegrityError:
        report.problem = "Someone signed up while the file was being imported. Nothing was imported: import it again."
        return report
    report.already_there = len(wanted) - report.created
    return report


def _chain(first, rest):
    yield first
    yield from rest


def _is_address(raw_email: str) -> bool:
    try:
        clean_address(raw_email)
    except ValidationError:
        return False
    return True


def _row(cell, *, raw_email: str, default_newsletter, newsletters: dict, now) -> _Row:
    try:
        email = clean_address(raw_email)
    except ValidationError as exc:
        raise RowProblem("not a valid email address") from exc
    newsletter_name = cell("newsletter")
    newsletter_id = newsletters.get(newsletter_name.lower()) if newsletter_name else default_newsletter.pk
    if newsletter_id is None:
        raise RowProblem(f"no newsletter called '{newsletter_name[:60]}'")
    status_value = cell("status").lower()
    unsubscribed_at = _when(cell("unsubscribed_at"))
    if status_value in NOT_CONFIRMED:
        raise RowProblem("never confirmed the subscription (pending), so it cannot be imported as consented")
    if cell("subscribed").lower() in NO or status_value in UNSUBSCRIBED or (not status_value and unsubscribed_at):
        status = Subscription.Status.UNSUBSCRIBED
    elif status_value in ACTIVE:
        status = Subscription.Status.ACTIVE
    else:
        raise RowProblem(f"unknown status '{cell('status')[:40]}'")
    active = status == Subscription.Status.ACTIVE
    return _Row(
        email=email,
        newsletter_id=newsletter_id,
        status=status,
        subscribed_at=_when(cell("subscribed_at")) or now,
        confirmed_at=_when(cell("confirmed_at")),
        unsubscribed_at=None if active else (unsubscribed_at or now),
    )


def _store(wanted: dict, *, consent_note: str, user, now) -> int:
    """Add the subscriptions not already there, each with its 'imported' consent event; return how many."""
    note = f"imported by {user.get_username()}" if user is not None else "imported"
    store = _store_by_copy if connection.vendor == "postgresql" else _store_by_orm
    with transaction.atomic():
        return store(list(wanted.values()), consent_note=consent_note, note=note, now=now)


def _store_by_orm(rows: list[_Row], *, consent_note: str, note: str, now) -> int:
    subscriber_ids = _subscriber_ids({row.email for row in rows})
    existing = _existing_pairs(subscriber_ids, {row.newsletter_id for row in rows})
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
        for row in rows
        if (subscriber_ids[row.email], row.newsletter_id) not in existing
    ]
    Subscription.objects.bulk_create(new, batch_size=BATCH)
    ConsentEvent.objects.bulk_create(
        (
            ConsentEvent(
                subscription_id=subscription.pk,
                kind=ConsentEvent.Kind.IMPORTED,
                at=now,
                source="import",
                consent_text=consent_note,
                consent_version="import",
                note=note,
            )
            for subscription in new
        ),
        batch_size=BATCH,
    )
    return len(new)


def _store_by_copy(rows: list[_Row], *, consent_note: str, note: str, now) -> int:
    """PostgreSQL: the rows go in with COPY, then three set-based statements add what is new. Addresses
    and subscriptions already there (or added meanwhile by a reader signing up) are left as they are."""
    subscriber, subscription, event = (m._meta.db_table for m in (Subscriber, Subscription, ConsentEvent))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_rows")  # an earlier import in this same transaction
        cursor.execute(
            "CREATE TEMPORARY TABLE import_rows (email text, newsletter_id bigint, status text, "
            "subscribed_at timestamptz, confirmed_at timestamptz, unsubscribed_at timestamptz) ON COMMIT DROP"
        )
        with cursor.copy("COPY import_rows FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (row.email, row.newsletter_id, row.status, row.subscribed_at, row.confirmed_at, row.unsubscribed_at)
                )
        cursor.execute(
            f"INSERT INTO {subscriber} (email, created_at) SELECT DISTINCT email, %s FROM import_rows "  # noqa: S608
            "ON CONFLICT DO NOTHING",
            [now],
        )
        cursor.execute(
            f"""
            WITH added AS (
                INSERT INTO {subscription} (
                    subscriber_id, newsletter_id, status, created_at, subscribed_at, confirmed_at, unsubscribed_at,
                    source, consent_text, consent_version, signup_user_agent, confirm_user_agent, token_nonce
                )
                SELECT s.id, r.newsletter_id, r.status, %(now)s, r.subscribed_at, r.confirmed_at, r.unsubscribed_at,
                       'import', %(consent)s, 'import', '', '', 0
                FROM import_rows r JOIN {subscriber} s ON lower(s.email) = lower(r.email)
                ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING
                RETURNING id
            )
            INSERT INTO {event} (subscription_id, kind, at, source, consent_text, consent_version, user_agent, note)
            SELECT id, %(kind)s, %(now)s, 'import', %(consent)s, 'import', '', %(note)s FROM added
            """,  # noqa: S608 (table names from the models)
            {"now": now, "consent": consent_note, "kind": ConsentEvent.Kind.IMPORTED, "note": note},
        )
        return cursor.rowcount


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
