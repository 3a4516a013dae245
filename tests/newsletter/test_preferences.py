"""The reader's preferences page: every email links to it; it lists every newsletter with the reader's standing,
changes only on a POST, and records each change in the consent history."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from newsletter.consent import CONSENT_VERSION, consent_text
from newsletter.editions import edition_send_now
from newsletter.models import ConsentEvent, Newsletter, Subscriber, Subscription
from newsletter.services import subscribers_erase
from newsletter.suppression import suppress
from newsletter.tokens import unsubscribe_token
from tests.factories import ArticleFactory, EditionFactory, NewsletterFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (preferences test)"


def path_of(url: str) -> str:
    return urlsplit(url).path


def page_of(subscription) -> str:
    return path_of(subscription.preferences_url())


def checked(html: str) -> set[str]:
    """The newsletter ids whose box is ticked."""
    boxes = re.findall(r'<input type="checkbox" name="newsletters" value="(\d+)"[^>]*>', html)
    ticked = re.findall(r'<input type="checkbox" name="newsletters" value="(\d+)"[^>]*checked[^>]*>', html)
    assert boxes, "no boxes on the page"
    return set(ticked)


@pytest.fixture
def daily():
    return Newsletter.objects.get(slug="the-daily")


@pytest.fixture
def weekend():
    return NewsletterFactory(name="The Weekend", slug="weekend", description="Long reads for Saturday & Sunday.")


@pytest.fixture
def reader(daily):
    """A confirmed reader of The Daily."""
    return SubscriptionFactory(subscriber__email="reader@example.com", newsletter=daily)


def save(client, subscription, newsletters, **extra):
    return client.post(
        page_of(subscription),
        {"action": "save", "newsletters": [n.pk for n in newsletters]},
        REMOTE_ADDR="198.51.100.9",
        HTTP_USER_AGENT=UA,
        **extra,
    )


def test_the_page_lists_every_newsletter_with_its_description_and_the_readers_standing(client, reader, daily, weekend):
    pending = NewsletterFactory(name="Morning Briefing", slug="briefing")
    SubscriptionFactory(subscriber=reader.subscriber, newsletter=pending, status="pending", confirmed_at=None)

    response = client.get(page_of(reader))

    assert response.status_code == 200
    html = response.content.decode()
    assert "reader@example.com" in html
    assert "Long reads for Saturday &amp; Sunday." in html  # escaped
    for newsletter in (daily, weekend, pending):
        assert newsletter.name in html
    assert checked(html) == {str(daily.pk), str(pending.pk)}
    assert "Subscribed" in html and "Awaiting your confirmation" in html and "Not subscribed" in html
    assert "<legend>" in html and f'<label for="newsletter-{weekend.pk}">' in html
    assert consent_text() in html


def test_the_page_is_never_cached_nor_indexed(client, reader, settings):
    settings.PAGE_CACHE = True
    page = page_of(reader)
    for response in (client.get(page), client.get(page)):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]
        assert "X-Page-Cache" not in response  # the site's page cache neither keeps nor serves it
        assert "noindex" in response["X-Robots-Tag"]
        assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
        assert page not in response.content.decode()  # no canonical link carrying the token


def test_a_get_changes_nothing(client, reader, weekend):
    client.get(page_of(reader), {"action": "everything", "newsletters": [weekend.pk]})

    assert Subscription.objects.get(pk=reader.pk).status == "active"
    assert not Subscription.objects.filter(newsletter=weekend).exists()
    assert not ConsentEvent.objects.exists()


def test_a_confirmed_address_subscribes_to_another_newsletter_at_once_with_no_second_opt_in(
    client, reader, daily, weekend, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = save(client, reader, [daily, weekend])

    assert response.status_code == 302 and response["Location"] == page_of(reader)
    added = Subscription.objects.get(subscriber=reader.subscriber, newsletter=weekend)
    assert added.status == "active" and added.confirmed_at is not None
    assert mail.outbox == []  # no confirmation email
    [event] = added.events.all()
    assert (event.kind, event.source, event.ip, event.user_agent) == (
        ConsentEvent.Kind.SUBSCRIBED,
        "preferences page",
        "198.51.100.9",
        UA,
    )
    assert (event.consent_text, event.consent_version) == (consent_text(), CONSENT_VERSION)
    assert Subscription.objects.get(pk=reader.pk).status == "active"  # left as it was
    assert reader.events.count() == 0

    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Your choices are saved." in html and "You are now subscribed to The Weekend." in html
    assert checked(html) == {str(daily.pk), str(weekend.pk)}
    assert "Your choices are saved." not in client.get(page_of(reader)).content.decode()  # shown once


def test_an_address_never_confirmed_goes_through_the_double_opt_in(
    client, daily, weekend, django_capture_on_commit_callbacks
):
    pending = SubscriptionFactory(
        subscriber__email="unproven@example.com", newsletter=daily, status="pending", confirmed_at=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = save(client, pending, [daily, weekend])

    added = Subscription.objects.get(subscriber=pending.subscriber, newsletter=weekend)
    assert added.status == "pending" and added.confirmed_at is None
    [message] = mail.outbox
    assert message.to == ["unproven@example.com"] and "The Weekend" in message.subject
    assert list(added.events.values_list("kind", "source", "ip")) == [("requested", "preferences page", "198.51.100.9")]
    assert Subscription.objects.get(pk=pending.pk).status == "pending"  # still ticked: unchanged
    assert "confirm with the link we have just emailed you" in client.get(response["Location"]).content.decode()


def test_unticking_ends_that_subscription_with_its_history(client, reader, daily, weekend):
    other = SubscriptionFactory(subscriber=reader.subscriber, newsletter=weekend)

    response = save(client, reader, [weekend])

    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.status == "unsubscribed" and reader.unsubscribed_at is not None
    assert Subscription.objects.get(pk=other.pk).status == "active"
    [event] = reader.events.all()
    assert (event.kind, event.ip, event.user_agent, event.note, event.edition) == (
        "unsubscribed",
        "198.51.100.9",
        UA,
        "preferences page",
        None,
    )
    assert "You are unsubscribed from The Daily." in client.get(response["Location"]).content.decode()


def test_an_unsubscribed_reader_can_come_back_from_the_same_link(client, reader, daily):
    save(client, reader, [])
    assert Subscription.objects.get(pk=reader.pk).status == "unsubscribed"

    save(client, reader, [daily])

    reader.refresh_from_db()
    assert reader.status == "active"  # the address was confirmed before
    assert list(reader.events.values_list("kind", flat=True)) == ["unsubscribed", "subscribed"]


def test_unsubscribe_from_everything(client, reader, daily, weekend):
    pending = NewsletterFactory(slug="briefing")
    SubscriptionFactory(subscriber=reader.subscriber, newsletter=weekend)
    SubscriptionFactory(subscriber=reader.subscriber, newsletter=pending, status="pending", confirmed_at=None)
    someone_else = SubscriptionFactory(newsletter=daily)

    response = client.post(
        page_of(reader), {"action": "everything", "newsletters": [daily.pk]}, REMOTE_ADDR="192.0.2.4"
    )

    assert response.status_code == 302
    mine = Subscription.objects.filter(subscriber=reader.subscriber)
    assert set(mine.values_list("status", flat=True)) == {"unsubscribed"}
    events = ConsentEvent.objects.filter(subscription__subscriber=reader.subscriber)
    assert events.count() == 3
    assert set(events.values_list("kind", "ip", "note")) == {
        ("unsubscribed", "192.0.2.4", "preferences page: unsubscribed from everything")
    }
    assert Subscription.objects.get(pk=someone_else.pk).status == "active"
    html = client.get(response["Location"]).content.decode()
    assert "unsubscribed from everything" in html
    assert checked(html) == set()


def test_a_suppressed_address_is_not_subscribed_again(client, reader, daily, weekend):
    suppress(reader.subscriber.email, reason="hard_bounce", end_subscriptions=False)

    response = save(client, reader, [daily, weekend])

    assert not Subscription.objects.filter(newsletter=weekend).exists()
    assert "We could not start The Weekend" in client.get(response["Location"]).content.decode()


def test_a_forged_newsletter_id_changes_nothing_and_is_a_400(client, reader, daily):
    for forged in (["999999"], ["not-a-number"], ["99999999999999999999999"], [str(daily.pk), "-1"]):
        response = client.post(page_of(reader), {"action": "save", "newsletters": forged})
        assert response.status_code == 400, forged
        assert "Nothing was changed" in response.content.decode()
    assert Subscription.objects.get(pk=reader.pk).status == "active"
    assert not ConsentEvent.objects.exists()


def test_the_post_needs_the_pages_csrf_token(reader):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(page_of(reader))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)

    assert browser.post(page_of(reader), {"action": "everything"}).status_code == 403
    assert Subscription.objects.get(pk=reader.pk).status == "active"
    assert browser.post(page_of(reader), {"action": "everything", "csrfmiddlewaretoken": token}).status_code == 302
    assert Subscription.objects.get(pk=reader.pk).status == "unsubscribed"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_a_400_page_offering_to_sign_up_again(client, reader, method):
    token = unsubscribe_token(reader)
    for bad in ("not-a-token", token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        response = getattr(client, method)(f"/newsletter/preferences/{bad}/")
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
        assert "noindex" in response["X-Robots-Tag"]
    assert Subscription.objects.get(pk=reader.pk).status == "active"


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_link_of_an_erased_reader_is_no_longer_valid(client, reader, method):
    page = page_of(reader)
    subscribers_erase(subscribers=Subscriber.objects.filter(pk=reader.subscriber_id))

    response = getattr(client, method)(page, {"action": "everything"} if method == "post" else None)

    assert response.status_code == 410
    assert "This link is no longer valid" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_confirmation_email_links_to_the_preferences_page(client, daily, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/newsletter/", {"email": "new@example.com", "newsletter": daily.pk})

    [message] = mail.outbox
    subscription = Subscription.objects.get()
    [(html, _)] = message.alternatives
    text_link = re.search(r"Choose your newsletters: (\S+)", message.body).group(1)
    html_link = re.search(r'<a href="([^"]+/newsletter/preferences/[^"]+)">', html).group(1)
    assert text_link == html_link
    unsubscribe = re.search(r"<([^>]+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    assert path_of(unsubscribe).split("/")[3] == path_of(text_link).split("/")[3]  # one token for both links
    assert client.get(path_of(text_link)).status_code == 200
    assert "new@example.com" in client.get(path_of(text_link)).content.decode()
    assert subscription.status == "pending"


def test_a_sent_edition_links_each_reader_to_their_own_preferences_page(
    client, daily, weekend, django_capture_on_commit_callbacks
):
    readers = SubscriptionFactory.create_batch(2, newsletter=daily)
    edition = EditionFactory(articles=[ArticleFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        edition_send_now(edition=edition, user=None)

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        [(html, _)] = message.alternatives
        link = re.search(r"Choose your newsletters: (\S+)", message.body).group(1)
        assert f'href="{link}"' in html
        page = client.get(path_of(link))
        assert page.status_code == 200
        assert message.to[0] in page.content.decode()  # the recipient's own page
        assert checked(page.content.decode()) == {str(daily.pk)}
    assert {r.subscriber.email for r in readers} == {m.to[0] for m in mail.outbox}


@pytest.mark.parametrize("count", [1, 5])
def test_the_page_costs_the_same_queries_however_many_newsletters(client, django_assert_num_queries, count):
    subscriber = SubscriberFactory()
    subscriptions = [
        SubscriptionFactory(subscriber=subscriber, newsletter=NewsletterFactory(slug=f"letter-{i}"))
        for i in range(count)
    ]
    # The subscriber the link names; every newsletter; the subscriber's standing on each.
    with django_assert_num_queries(3):
        response = client.get(page_of(subscriptions[0]))
    assert response.status_code == 200
    assert len(checked(response.content.decode())) == count


def test_a_reader_gone_for_long_confirms_again_before_coming_back(
    client, reader, daily, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    save(client, reader, [])
    Subscription.objects.filter(pk=reader.pk).update(unsubscribed_at=timezone.now() - timedelta(days=60))

    with django_capture_on_commit_callbacks(execute=True):
        save(client, reader, [daily])

    reader.refresh_from_db()
    assert reader.status == "pending"  # an old email, perhaps forwarded since, is no proof of the address now
    assert [m.to for m in mail.outbox] == [[reader.subscriber.email]]
