"""Composing the day's edition, and every step an editor takes with it."""

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from newsletter.editions import EditionStateError, edition_compose, edition_pause, edition_send_now
from newsletter.models import Delivery, Edition, EditionItem, Newsletter
from tests.factories import ArticleFactory, EditionFactory, SectionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def the_daily():
    return Newsletter.objects.get(slug="the-daily")


def ago(**kwargs):
    return timezone.now() - datetime.timedelta(**kwargs)


def test_the_edition_carries_the_days_published_stories_lead_first_then_by_section(the_daily):
    news, sport = SectionFactory(slug="news", name="News", order=1), SectionFactory(slug="sport", name="Sport", order=2)
    old = ArticleFactory(section=news, published_at=ago(days=2))
    sport_story = ArticleFactory(section=sport, published_at=ago(hours=2))
    news_story = ArticleFactory(section=news, published_at=ago(hours=3))
    top = ArticleFactory(section=sport, published_at=ago(hours=5), top_story=True)
    ArticleFactory(section=news, status="draft", published_at=None)
    ArticleFactory(section=news, published_at=timezone.now() + datetime.timedelta(hours=1))  # scheduled

    edition, created = edition_compose(newsletter=the_daily, issue_date=timezone.localdate())

    assert created
    stories = [item.article for item in edition.items.all()]
    assert stories == [top, news_story, sport_story]
    assert old not in stories
    assert edition.subject == top.headline
    assert edition.status == Edition.Status.DRAFT  # The Daily waits for an editor's approval


def test_composing_twice_changes_nothing_and_the_command_prints_the_id(the_daily, capsys):
    ArticleFactory()
    call_command("compose_edition")
    first = capsys.readouterr().out.strip().splitlines()
    edition = Edition.objects.get()
    EditionItem.objects.filter(edition=edition).update(blurb="Edited by hand")
    call_command("compose_edition", "--newsletter", "the-daily", "--date", timezone.localdate().isoformat())
    second = capsys.readouterr().out.strip().splitlines()

    assert first[-1] == second[-1] == str(edition.pk)
    assert Edition.objects.count() == 1
    assert EditionItem.objects.get().blurb == "Edited by hand"


def test_a_day_without_news_composes_nothing(the_daily):
    ArticleFactory(published_at=ago(days=3))
    with pytest.raises(CommandError, match="nothing to send"):
        call_command("compose_edition")
    assert not Edition.objects.exists()


def test_the_next_edition_starts_where_the_previous_one_ended(the_daily):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    carried = ArticleFactory(published_at=ago(hours=30))
    EditionFactory(issue_date=yesterday, articles=[carried], articles_until=ago(hours=26), status="sent")
    fresh = ArticleFactory(published_at=ago(hours=2))

    edition, _ = edition_compose(newsletter=the_daily, issue_date=timezone.localdate())

    assert [item.article for item in edition.items.all()] == [fresh]


def test_only_the_newsletters_sections_feed_it(the_daily):
    sport = SectionFactory(slug="sport", name="Sport")
    the_daily.sections.set([sport])
    ArticleFactory()
    in_sport = ArticleFactory(section=sport)

    edition, _ = edition_compose(newsletter=the_daily, issue_date=timezone.localdate())

    assert [item.article for item in edition.items.all()] == [in_sport]


def test_a_newsletter_that_sends_by_itself_schedules_its_edition(the_daily):
    the_daily.sends_without_approval = True
    the_daily.save()
    ArticleFactory()

    edition, _ = edition_compose(newsletter=the_daily, issue_date=timezone.localdate())

    assert edition.status == Edition.Status.SCHEDULED
    assert edition.send_at >= the_daily.send_at(edition.issue_date) or edition.send_at >= ago(minutes=1)


def test_one_edition_per_newsletter_and_date_in_the_database(the_daily):
    EditionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Edition.objects.create(newsletter=the_daily, issue_date=timezone.localdate(), subject="Twice")


def test_sending_mails_each_active_subscriber_once_and_nobody_else(the_daily, django_capture_on_commit_callbacks):
    active = SubscriptionFactory.create_batch(3)
    SubscriptionFactory(status="pending", confirmed_at=None)
    SubscriptionFactory(status="unsubscribed")
    edition = EditionFactory(articles=[ArticleFactory()])

    with django_capture_on_commit_callbacks(execute=True):
        edition = edition_send_now(edition=edition, user=None)  # the workers' tasks run in the test (eager)

    edition.refresh_from_db()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.subscriber.email for s in active)
    assert edition.status == Edition.Status.SENT
    assert (edition.recipient_count, edition.sent_count, edition.failed_count) == (3, 3, 0)
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(ids) == 3
    assert all(m.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in mail.outbox)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_an_edition_is_sent_once_whatever_is_pressed_twice(the_daily, django_capture_on_commit_callbacks):
    SubscriptionFactory()
    edition = EditionFactory(articles=[ArticleFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        edition_send_now(edition=edition, user=None)

    with pytest.raises(EditionStateError):
        edition_send_now(edition=edition, user=None)
    with pytest.raises(EditionStateError):
        edition_pause(edition=edition, user=None)
    assert len(mail.outbox) == 1


def test_stories_of_a_draft_nobody_sent_go_into_the_next_edition(the_daily):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    EditionFactory(issue_date=yesterday - datetime.timedelta(days=1), status="sent", articles_until=ago(hours=60))
    unsent = ArticleFactory(published_at=ago(hours=30))
    EditionFactory(issue_date=yesterday, articles=[unsent], articles_until=ago(hours=26))  # still a draft
    fresh = ArticleFactory(published_at=ago(hours=2))

    edition, _ = edition_compose(newsletter=the_daily, issue_date=timezone.localdate())

    assert [item.article for item in edition.items.all()] == [fresh, unsent]


def test_only_a_published_story_can_be_put_in_an_edition():
    from django.core.exceptions import ValidationError

    edition = EditionFactory()
    draft = ArticleFactory(status="draft", published_at=None)

    with pytest.raises(ValidationError, match="Only a published story"):
        EditionItem(edition=edition, article=draft, order=0).full_clean()


def test_a_story_unpublished_after_it_was_chosen_drops_out_of_the_email():
    from newsletter.rendering import edition_render

    kept, pulled = ArticleFactory(headline="The bridge reopens"), ArticleFactory(headline="A story pulled at noon")
    edition = EditionFactory(articles=[kept, pulled])
    pulled.status = "draft"
    pulled.save()

    rendered = edition_render(edition)

    assert "The bridge reopens" in rendered.text and "A story pulled at noon" not in rendered.text
    assert "A story pulled at noon" not in rendered.html


def test_an_edition_an_editor_moves_later_while_due_editions_start_waits_for_its_new_time(the_daily, admin_user):
    import logging

    from newsletter.editions import edition_schedule, editions_start_due

    story = ArticleFactory()
    one, other = (
        EditionFactory(issue_date=timezone.localdate() - datetime.timedelta(days=days), articles=[story])
        for days in (1, 2)
    )
    for edition in one, other:
        edition_schedule(edition=edition, user=admin_user)
    later = timezone.now() + datetime.timedelta(hours=2)
    moved = []

    class EditorMovesTheOther(logging.Handler):
        def emit(self, record):  # the first edition has started: the scheduler has read both as due
            started = record.getMessage()
            if not moved and "Sending started" in started:
                waiting = other if f"Edition {one.pk}:" in started else one
                moved.append(edition_schedule(edition=waiting, user=admin_user, send_at=later))

    editions_logger = logging.getLogger("newsletter.editions")
    handler, level = EditorMovesTheOther(), editions_logger.level
    editions_logger.addHandler(handler)
    editions_logger.setLevel(logging.INFO)
    try:
        started = editions_start_due(now=timezone.now() + datetime.timedelta(minutes=1))
    finally:
        editions_logger.removeHandler(handler)
        editions_logger.setLevel(level)

    assert len(moved) == len(started) == 1
    moved[0].refresh_from_db()
    assert moved[0].status == Edition.Status.SCHEDULED and moved[0].send_at == later
