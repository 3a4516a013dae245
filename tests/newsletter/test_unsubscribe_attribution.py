"""An edition's unsubscribe link names the edition, and the consent history records it, but only for an
edition that really went to that reader; links sent before editions were named work as they always did."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from newsletter.editions import edition_send_now
from newsletter.models import ConsentEvent, Subscription
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


def local(url: str) -> str:
    """The path and query of one of our absolute links, as the test client takes them."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """An edition sent to two readers: [(subscription, message)] in address order."""
    readers = [SubscriptionFactory(subscriber__email=f"r{i}@example.com") for i in range(2)]
    edition = EditionFactory(articles=[ArticleFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        edition_send_now(edition=edition, user=None)
    messages = {message.to[0]: message for message in mail.outbox}
    return edition, [(reader, messages[reader.subscriber.email]) for reader in readers]


def header_link(message) -> str:
    return local(message.extra_headers["List-Unsubscribe"].strip("<>"))


def test_one_click_from_the_header_records_the_edition(client, sent):
    edition, [(reader, message), _] = sent
    link = header_link(message)
    assert link.endswith(f"?edition={edition.pk}")

    response = client.post(link, ONE_CLICK, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscription.Status.UNSUBSCRIBED
    [event] = reader.events.all()
    assert (event.kind, event.edition_id, event.note, event.ip) == (
        "unsubscribed",
        edition.pk,
        "unsubscribe link",
        "127.0.0.1",
    )


def test_the_footer_link_shows_the_page_then_its_button_records_the_edition(client, sent):
    edition, [_, (reader, message)] = sent
    [(html, _)] = message.alternatives
    footer = next(href for href in re.findall(r'href="([^"]+)"', html) if "/unsubscribe/" in href)
    link = local(footer)
    assert f"{link}" in message.body  # the text part carries the same link

    page = client.get(link)
    assert page.status_code == 200 and '<form method="post">' in page.content.decode()
    assert Subscription.objects.get(pk=reader.pk).status == "active"  # a GET changes nothing
    assert not ConsentEvent.objects.exists()

    client.post(link)  # the page's form posts back to the address it was opened at, query and all

    assert ConsentEvent.objects.get(subscription=reader).edition_id == edition.pk


def test_an_edition_that_did_not_go_to_this_reader_is_not_recorded(client, sent):
    edition, [(reader, message), _] = sent
    other = EditionFactory(issue_date=edition.issue_date.replace(year=edition.issue_date.year - 1))
    path = urlsplit(header_link(message)).path
    for forged in (str(other.pk), "0", "abc", "1e3", "99999999999999999999999999", ""):
        Subscription.objects.filter(pk=reader.pk).update(status="active")
        response = client.post(f"{path}?edition={forged}", ONE_CLICK, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, forged
    assert list(reader.events.values_list("edition_id", flat=True)) == [None] * 6


@pytest.mark.parametrize("one_click", [True, False])
def test_a_link_sent_before_editions_were_named_works_as_before(client, one_click):
    reader = SubscriptionFactory()
    old_link = urlsplit(reader.unsubscribe_url()).path  # no ?edition=

    page = client.get(old_link)
    assert page.status_code == 200 and "Unsubscribe from" in page.content.decode()
    assert Subscription.objects.get(pk=reader.pk).status == "active"
    if one_click:
        response = client.post(old_link, ONE_CLICK, content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(old_link)

    assert response.status_code == 200
    assert Subscription.objects.get(pk=reader.pk).status == "unsubscribed"
    token = old_link.split("/")[3]
    assert f"/newsletter/preferences/{token}/" in response.content.decode()  # the rest of their newsletters
    [event] = reader.events.all()
    assert (event.kind, event.edition, event.note) == ("unsubscribed", None, "unsubscribe link")


def test_leaving_from_the_preferences_link_of_an_edition_counts_on_that_edition_only(client, sent):
    from newsletter.models import Newsletter

    edition, [(reader, message), _] = sent
    other = Newsletter.objects.create(name="The Culture Letter", slug="culture")
    elsewhere = SubscriptionFactory(subscriber=reader.subscriber, newsletter=other)
    preferences = local(re.search(r"https?://\S+/newsletter/preferences/\S+", message.body).group(0))
    assert f"?edition={edition.pk}" in preferences

    assert client.post(preferences, {"action": "everything"}).status_code == 302

    assert ConsentEvent.objects.get(subscription=reader, kind="unsubscribed").edition == edition
    assert ConsentEvent.objects.get(subscription=elsewhere, kind="unsubscribed").edition is None
