"""Editions: composing the day's digest and every step an editor takes, up to handing it to the workers."""

import datetime
import logging

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format

from articles.models import Article, published_filter
from audit import services as audit
from newsroom.text import one_line

from .models import Delivery, Edition, EditionItem, Newsletter

logger = logging.getLogger(__name__)

COMPOSE_AHEAD = datetime.timedelta(hours=1)
SCHEDULER = "the scheduler"  # who started a send, on the audit record, when nobody did by hand


class EditionStateError(Exception):
    """The step does not apply to the edition as it is now (e.g. pausing one that is not sending)."""


def log_step(edition: Edition, user, message: str) -> None:
    """Every step lands in the admin log (when a person took it) and in the application log."""
    logger.info("Edition %s: %s (%s)", edition.pk, message, user or "scheduler")
    if user is not None and user.pk:
        LogEntry.objects.log_actions(
            user_id=user.pk, queryset=[edition], action_flag=CHANGE, change_message=message, single_object=True
        )


def stories_for(newsletter: Newsletter, *, since: datetime.datetime | None, until: datetime.datetime, exclude=()):
    """The published stories of the newsletter's sections in (since, until]: the lead story (the home page's
    order: editors' top stories, then the newest) first, then section by section, top stories first."""
    stories = Article.objects.published().filter(published_at__lte=until).exclude(pk__in=list(exclude))
    if since is not None:
        stories = stories.filter(published_at__gt=since)
    section_ids = list(newsletter.sections.values_list("pk", flat=True))
    if section_ids:
        stories = stories.filter(section_id__in=section_ids)
    stories = list(stories.select_related("section").defer("body", "search_vector").front_page_order())
    if not stories:
        return []
    lead, rest = stories[0], stories[1:]
    rest.sort(key=lambda a: (a.section.order, a.section.name, not a.top_story, -a.published_at.timestamp(), -a.pk))
    return [lead, *rest][: newsletter.items_per_edition]


def _previous(newsletter: Newsletter, issue_date: datetime.date) -> Edition | None:
    """The last edition before the date that went out: a draft nobody sent leaves its stories to the next one."""
    went_out = [Edition.Status.SENDING, Edition.Status.SENT, Edition.Status.PAUSED]
    return (
        Edition.objects.filter(newsletter=newsletter, issue_date__lt=issue_date, status__in=went_out)
        .order_by("-issue_date")
        .first()
    )


def edition_compose(
    *, newsletter: Newsletter, issue_date: datetime.date, automatically: bool = False, now=None
) -> tuple[Edition | None, bool]:
    """The newsletter's edition for the date, composed from the stories published since the previous one.

    Idempotent: an edition that exists is returned as it is. With no new story, nothing is composed
    (None). Returns (edition, created).
    """
    now = now or timezone.now()
    existing = Edition.objects.filter(newsletter=newsletter, issue_date=issue_date).first()
    if existing is not None:
        return existing, False
    previous = _previous(newsletter, issue_date)
    until = now  # the stories published until it is composed; later ones are the next edition's
    since = previous.articles_until if previous and previous.articles_until else until - datetime.timedelta(days=1)
    already = EditionItem.objects.filter(edition=previous).values_list("article_id", flat=True) if previous else ()
    stories = stories_for(newsletter, since=since, until=until, exclude=already)
    if not stories:
        return None, False
    lead = stories[0]
    scheduled = newsletter.sends_without_approval
    with transaction.atomic():
        edition, created = Edition.objects.get_or_create(
            newsletter=newsletter,
            issue_date=issue_date,
            defaults={
                "subject": one_line(lead.headline)[:150],
                "preheader": one_line(lead.standfirst)[:150],
                "status": Edition.Status.SCHEDULED if scheduled else Edition.Status.DRAFT,
                "send_at": max(newsletter.send_at(issue_date), now) if scheduled else None,
                "composed_automatically": automatically,
                "articles_until": until,
            },
        )
        if created:
            EditionItem.objects.bulk_create(
                EditionItem(edition=edition, article=article, order=position)
                for position, article in enumerate(stories)
            )
    if created:
        log_step(edition, None, f"Composed with {len(stories)} stories")
    return edition, created


def editions_compose_due(*, now=None) -> list[Edition]:
    """The scheduler's part: each newsletter's edition of today, composed within the hour before its send time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    composed = []
    for newsletter in Newsletter.objects.all():
        send_at = newsletter.send_at(today)
        if send_at - COMPOSE_AHEAD <= now:
            edition, created = edition_compose(newsletter=newsletter, issue_date=today, automatically=True, now=now)
            if created:
                composed.append(edition)
    return composed


def _locked(edition: Edition) -> Edition:
    return Edition.objects.select_for_update().select_related("newsletter").get(pk=edition.pk)


def edition_schedule(*, edition: Edition, user, send_at: datetime.datetime | None = None, run_by: str = "") -> Edition:
    """Approve the edition to go out at send_at (default: the newsletter's send time, or now if that has passed).
    From a command, `run_by` names who ran it (for the audit record)."""
    with transaction.atomic():
        edition = _locked(edition)
        if not edition.is_editable:
            raise EditionStateError(f"A {edition.get_status_display().lower()} edition cannot be scheduled.")
        if not edition.items.filter(published_filter("article__")).exists():
            raise EditionStateError("An edition with no published story cannot be sent.")
        now = timezone.now()
        edition.send_at = max(send_at or edition.newsletter.send_at(edition.issue_date), now)
        edition.status = Edition.Status.SCHEDULED
        edition.approved_by, edition.approved_at = user, now
        edition.save()
        at = date_format(timezone.localtime(edition.send_at), "j F Y H:i")
        audit.record(audit.Action.EDITION_SEND, actor=user, run_by=run_by, target=edition, detail=f"Scheduled for {at}")
    log_step(edition, user, f"Scheduled for {timezone.localtime(edition.send_at):%Y-%m-%d %H:%M}")
    return edition


def edition_unschedule(*, edition: Edition, user) -> Edition:
    """Back to draft: the scheduled send will not happen until it is approved again."""
    with transaction.atomic():
        edition = _locked(edition)
        if edition.status != Edition.Status.SCHEDULED:
            raise EditionStateError("Only a scheduled edition can go back to draft.")
        edition.status, edition.send_at, edition.approved_by, edition.approved_at = (
            Edition.Status.DRAFT,
            None,
            None,
            None,
        )
        edition.save()
    log_step(edition, user, "Back to draft")
    return edition


def edition_send_now(*, edition: Edition, user, run_by: str = "") -> Edition:
    """Approve and start sending at once: the audience is snapshotted and the workers take over. From a command,
    `run_by` names who ran it (for the audit record)."""
    from . import sending

    with transaction.atomic():
        edition = _locked(edition)
        if not edition.is_editable:
            raise EditionStateError(f"A {edition.get_status_display().lower()} edition cannot be sent.")
        if not edition.items.filter(published_filter("article__")).exists():
            raise EditionStateError("An edition with no published story cannot be sent.")
        edition.approved_by, edition.approved_at = user, timezone.now()
        edition.save(update_fields=["approved_by", "approved_at", "updated_at"])
        sending.edition_start(edition)
        detail = f"Sending started to {edition.recipient_count:,} recipients"
        audit.record(audit.Action.EDITION_SEND, actor=user, run_by=run_by, target=edition, detail=detail)
    log_step(edition, user, f"Sending started to {edition.recipient_count} recipients")
    return edition


def edition_pause(*, edition: Edition, user, reason: str = "") -> Edition:
    with transaction.atomic():
        edition = _locked(edition)
        if edition.status != Edition.Status.SENDING:
            raise EditionStateError("Only an edition that is sending can be paused.")
        edition.status, edition.paused_reason = Edition.Status.PAUSED, reason or "Paused by an editor"
        edition.save(update_fields=["status", "paused_reason", "updated_at"])
    log_step(edition, user, f"Paused: {edition.paused_reason}")
    return edition


def edition_resume(*, edition: Edition, user) -> Edition:
    from . import sending

    with transaction.atomic():
        edition = _locked(edition)
        if edition.status != Edition.Status.PAUSED:
            raise EditionStateError("Only a paused edition can be resumed.")
        edition.status, edition.paused_reason = Edition.Status.SENDING, ""
        edition.save(update_fields=["status", "paused_reason", "updated_at"])
        # Not the reason it paused: a mail server's error can quote a reader's address.
        detail = f"Sending resumed to the {edition.left_count:,} not yet mailed"
        audit.record(audit.Action.EDITION_SEND, actor=user, target=edition, detail=detail)
        transaction.on_commit(lambda: sending.senders_enqueue(edition.pk))
    log_step(edition, user, "Resumed")
    return edition


def edition_cancel(*, edition: Edition, user) -> Edition:
    """Stop for good: nobody not yet mailed gets this edition."""
    with transaction.atomic():
        edition = _locked(edition)
        if edition.status in {Edition.Status.SENT, Edition.Status.CANCELLED}:
            raise EditionStateError(f"A {edition.get_status_display().lower()} edition cannot be cancelled.")
        edition.status = Edition.Status.CANCELLED
        edition.finished_at = timezone.now() if edition.started_at else None
        edition.save(update_fields=["status", "finished_at", "updated_at"])
    log_step(edition, user, "Cancelled")
    return edition


def editions_start_due(*, now=None) -> list[Edition]:
    """The scheduler's part: scheduled editions whose time has come start sending."""
    from . import sending

    now = now or timezone.now()
    started = []
    for pk in Edition.objects.filter(status=Edition.Status.SCHEDULED, send_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            edition = Edition.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            # Read again under the lock: an editor may have moved it later or taken it back since the list was read.
            if edition is None or edition.status != Edition.Status.SCHEDULED or edition.send_at > now:
                continue
            sending.edition_start(edition)
            detail = f"Sending started to {edition.recipient_count:,} recipients, at its scheduled time"
            audit.record(audit.Action.EDITION_SEND, actor=None, run_by=SCHEDULER, target=edition, detail=detail)
        log_step(edition, None, f"Sending started to {edition.recipient_count} recipients")
        started.append(edition)
    return started


def counters_refresh(edition: Edition) -> None:
    """Recount sent, failed and skipped from the deliveries (the counters are also kept as sending goes)."""
    counts = Delivery.objects.filter(edition=edition).aggregate(
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        skipped=Count("pk", filter=Q(status=Delivery.Status.SKIPPED)),
    )
    Edition.objects.filter(pk=edition.pk).update(
        sent_count=counts["sent"], failed_count=counts["failed"], skipped_count=counts["skipped"]
    )
