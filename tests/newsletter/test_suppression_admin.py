"""Audience staff keep the suppression list, in the admin and from the command line."""

import io

import pytest
from django.core.management import CommandError, call_command

from newsletter.models import Subscriber, Subscription, Suppression
from newsletter.services import subscribers_erase
from newsletter.suppression import is_suppressed, suppress
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/newsletter/suppression/"


@pytest.fixture
def audience(login_as):
    return login_as("Audience")


def test_audience_adds_an_address_which_ends_its_subscriptions(client, audience):
    subscription = SubscriptionFactory(subscriber__email="asked@example.com")

    response = client.post(f"{ADMIN}add/", {"email": "Asked@Example.com", "reason": "staff", "note": "by phone"})

    assert response.status_code == 302
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason, suppression.note, suppression.added_by) == (
        "asked@example.com",
        "staff",
        "by phone",
        audience,
    )
    assert Subscription.objects.get(pk=subscription.pk).status == "unsubscribed"


def test_adding_an_address_twice_or_a_bad_one_keeps_what_was_typed_with_the_reason(client, audience):
    suppress("already@example.com", reason=Suppression.Reason.COMPLAINT)

    twice = client.post(f"{ADMIN}add/", {"email": "already@example.com", "reason": "staff", "note": "again"})
    bad = client.post(f"{ADMIN}add/", {"email": "not-an-address", "reason": "staff", "note": "typo"})

    assert twice.status_code == 200 and "already suppressed (complaint" in twice.content.decode()
    assert bad.status_code == 200 and 'value="not-an-address"' in bad.content.decode()
    assert Suppression.objects.count() == 1


def test_the_search_finds_an_erased_address_by_its_hash(client, audience):
    subscription = SubscriptionFactory(subscriber__email="forgotten@example.com")
    subscribers_erase(subscribers=Subscriber.objects.filter(pk=subscription.subscriber_id))
    suppress("other@example.com", reason=Suppression.Reason.STAFF)

    page = client.get(ADMIN, {"q": "Forgotten@example.com"}).content.decode()

    assert "(erased: only its hash is kept)" in page
    assert "other@example.com" not in page
    assert "forgotten@example.com" not in page


def test_taking_addresses_off_asks_why_and_keeps_the_record(client, audience):
    suppression, _ = suppress("mistake@example.com", reason=Suppression.Reason.STAFF)
    chosen = {"action": "remove_selected", "_selected_action": [suppression.pk]}

    question = client.post(ADMIN, chosen)
    assert question.status_code == 200 and "Why are these addresses" in question.content.decode()
    assert is_suppressed("mistake@example.com")

    without_reason = client.post(ADMIN, {**chosen, "reason": ""})
    assert without_reason.status_code == 200 and is_suppressed("mistake@example.com")

    done = client.post(ADMIN, {**chosen, "reason": "Added to the wrong list"})
    assert done.status_code == 302
    suppression.refresh_from_db()
    assert (suppression.removed_by, suppression.removal_reason) == (audience, "Added to the wrong list")
    assert not is_suppressed("mistake@example.com")


def test_entries_are_records_never_edited_or_deleted(client, audience):
    suppression, _ = suppress("kept@example.com", reason=Suppression.Reason.STAFF)

    assert client.post(f"{ADMIN}{suppression.pk}/change/", {"email": "x@example.com"}).status_code == 403
    assert client.post(f"{ADMIN}{suppression.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{ADMIN}{suppression.pk}/change/").status_code == 200  # shown read-only
    assert Suppression.objects.get().email == "kept@example.com"


@pytest.mark.parametrize("role", ["Journalist", "Editor"])
def test_other_roles_cannot_see_or_change_the_list(client, login_as, role):
    login_as(role)
    suppression, _ = suppress("private@example.com", reason=Suppression.Reason.STAFF)

    assert client.get(ADMIN).status_code == 403
    assert client.post(f"{ADMIN}add/", {"email": "x@example.com", "reason": "staff"}).status_code == 403
    forged = {"action": "remove_selected", "_selected_action": [suppression.pk], "reason": "forged"}
    assert client.post(ADMIN, forged).status_code == 403
    assert is_suppressed("private@example.com")
    assert not Suppression.objects.filter(email="x@example.com").exists()


def run(*args):
    out = io.StringIO()
    call_command("suppress", *args, stdout=out)
    return out.getvalue()


def test_the_command_suppresses_and_removes_with_a_reason():
    SubscriptionFactory(subscriber__email="one@example.com")

    output = run("one@example.com", "TWO@example.com", "--reason", "asked by letter")

    assert "one@example.com: suppressed" in output and "two@example.com: suppressed" in output
    assert Subscription.objects.get().status == "unsubscribed"
    assert Suppression.objects.get(email="one@example.com").note.startswith("asked by letter (by ")
    assert "already suppressed" in run("one@example.com")

    output = run("--remove", "one@example.com", "three@example.com", "--reason", "asked to come back")

    assert "one@example.com: taken off the list" in output and "three@example.com: was not on the list" in output
    assert not is_suppressed("one@example.com") and is_suppressed("two@example.com")


def test_the_command_refuses_bad_addresses_and_a_removal_without_a_reason():
    with pytest.raises(CommandError, match="Not an email address: nope"):
        run("good@example.com", "nope")
    assert not Suppression.objects.exists()
    suppress("kept@example.com", reason=Suppression.Reason.STAFF)
    with pytest.raises(CommandError, match="--reason"):
        run("--remove", "kept@example.com")
    assert is_suppressed("kept@example.com")


def test_an_erasures_entry_is_the_readers_to_lift_not_staffs(client, audience):
    subscription = SubscriptionFactory(subscriber__email="erased@example.com")
    subscribers_erase(subscribers=Subscriber.objects.filter(pk=subscription.subscriber_id))
    erased = Suppression.objects.get()

    client.post(ADMIN, {"action": "remove_selected", "_selected_action": [erased.pk], "reason": "re-import them"})
    output = run("--remove", "erased@example.com", "--reason", "re-import them")

    assert "only their own sign-up lifts it" in output
    assert is_suppressed("erased@example.com")


def test_an_address_pasted_as_a_mail_program_shows_it_is_added_bare(client, audience):
    response = client.post(f"{ADMIN}add/", {"email": " Asked Reader <Asked@Example.com> ", "reason": "staff"})

    assert response.status_code == 302
    assert Suppression.objects.get().email == "asked@example.com"


@pytest.mark.parametrize(
    "typed",
    ["asked@example.com\nBcc: everyone@example.com", "asked@example.com, other@example.com", "Asked <not-an-address>"],
)
def test_what_is_not_one_address_is_refused_in_the_admin_keeping_what_was_typed(client, audience, typed):
    response = client.post(f"{ADMIN}add/", {"email": typed, "reason": "staff", "note": "kept"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "errorlist" in page and "kept" in page
    assert not Suppression.objects.exists()


def test_the_command_takes_an_address_in_its_display_form_bare_and_refuses_a_line_break():
    assert "asked@example.com: suppressed" in run("Asked Reader <Asked@Example.com>")
    assert Suppression.objects.get().email == "asked@example.com"

    with pytest.raises(CommandError, match="Not an email address"):
        run("other@example.com\nBcc: everyone@example.com")
    assert Suppression.objects.count() == 1


def test_staff_cannot_add_an_entry_as_erased_which_nothing_but_the_reader_could_lift(client, audience):
    form = client.get(f"{ADMIN}add/").content.decode()
    assert 'value="staff"' in form and 'value="erased"' not in form

    forged = client.post(f"{ADMIN}add/", {"email": "someone@example.com", "reason": "erased", "note": "forged"})

    assert forged.status_code == 200 and "errorlist" in forged.content.decode()
    assert 'value="someone@example.com"' in forged.content.decode()
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("reason", ["erased", " Erased ", "ERASURE"])
def test_the_command_refuses_erasure_as_its_reason(reason):
    SubscriptionFactory(subscriber__email="someone@example.com")

    with pytest.raises(CommandError, match="Erasure"):
        run("someone@example.com", "--reason", reason)

    assert not Suppression.objects.exists()
    assert Subscription.objects.get().status == "active"
