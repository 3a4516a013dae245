import re
import threading
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core import mail, signing
from django.db import connection
from django.utils import timezone

from newsletter import tokens
from newsletter.models import Newsletter, Subscriber, Subscription
from newsletter.services import subscription_request
from tests.factories import ArticleFactory, NewsletterFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/newsletter/"
READER = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "Mozilla/5.0 (Reader)"}


@pytest.fixture
def the_daily():
    return Newsletter.objects.get(slug="the-daily")


def sign_up(client, email="Reader@Example.com", **extra):
    data = {"email": email, "source": "/articles/bridge/", "website": "", **extra}
    return client.post(SUBSCRIBE, data, **READER)


def links_in(message):
    return re.findall(r"https?://\S+?/newsletter/(?:confirm|unsubscribe)/[^/\s]+/", message.body)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_daily_is_the_default_newsletter(the_daily):
    assert the_daily.is_default
    assert the_daily.name == "The Daily"


def test_every_public_page_has_a_signup_form(client):
    article = ArticleFactory()

    for url in ("/", article.get_absolute_url(), article.section.get_absolute_url(), "/no-such-page/"):
        html = client.get(url).content.decode()
        assert re.search(r'<form[^>]+action="/newsletter/"', html), url
        assert 'type="email"' in html, url
        # No per-reader token: the page is the same for everyone, so it can be cached.
        assert "csrfmiddlewaretoken" not in html, url
    assert client.get(article.get_absolute_url()).content.decode().count('action="/newsletter/"') == 2


def test_the_footer_form_works_from_a_cached_page_without_a_csrf_token(the_daily):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/newsletter/", {"email": "reader@example.org", "newsletter": the_daily.pk})

    assert response.status_code == 302
    assert Subscription.objects.filter(subscriber__email="reader@example.org", newsletter=the_daily).exists()


def test_signing_up_stores_a_pending_subscription_with_its_consent_and_mails_a_link(
    client, the_daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client)

    assert response.status_code == 302 and response["Location"] == "/newsletter/check-your-inbox/"
    subscription = Subscription.objects.get()
    assert subscription.subscriber.email == "reader@example.com"
    assert subscription.newsletter == the_daily
    assert subscription.status == Subscription.Status.PENDING
    assert subscription.source == "/articles/bridge/"
    assert subscription.signup_ip == "203.0.113.7"
    assert subscription.signup_user_agent == "Mozilla/5.0 (Reader)"
    assert "unsubscribe with one click" in subscription.consent_text
    assert subscription.consent_version

    [message] = mail.outbox
    assert message.to == ["reader@example.com"]
    assert "Confirm your subscription to The Daily" in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Confirm my subscription" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://\S+/newsletter/unsubscribe/\S+/>", message.extra_headers["List-Unsubscribe"])


def test_the_answer_is_the_same_for_new_pending_and_active_addresses(client, the_daily):
    SubscriptionFactory(subscriber__email="active@example.com", newsletter=the_daily)
    SubscriptionFactory(subscriber__email="pending@example.com", newsletter=the_daily, status="pending")

    answers = {
        email: sign_up(client, email) for email in ("new@example.com", "pending@example.com", "active@example.com")
    }

    assert {(r.status_code, r["Location"]) for r in answers.values()} == {(302, "/newsletter/check-your-inbox/")}


def test_an_active_address_gets_no_mail_and_stays_active(client, the_daily, django_capture_on_commit_callbacks):
    SubscriptionFactory(subscriber__email="active@example.com", newsletter=the_daily)

    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "ACTIVE@example.com")

    assert mail.outbox == []
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE


def test_a_pending_address_is_mailed_again_at_most_every_ten_minutes(
    client, the_daily, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
        sign_up(client)
    assert len(mail.outbox) == 1

    Subscription.objects.update(confirmation_sent_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
    assert len(mail.outbox) == 2
    assert Subscription.objects.count() == 1


def test_the_same_address_in_other_letter_case_is_one_subscriber(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "Jo.Bloggs@Example.COM")
        Subscription.objects.update(confirmation_sent_at=None)
        sign_up(client, "  jo.bloggs@example.com ")

    assert list(Subscriber.objects.values_list("email", flat=True)) == ["jo.bloggs@example.com"]
    assert Subscription.objects.count() == 1


def test_the_database_refuses_a_second_spelling_of_an_address():
    from django.db import IntegrityError

    Subscriber.objects.create(email="jo@example.com")
    with pytest.raises(IntegrityError):
        Subscriber.objects.bulk_create([Subscriber(email="JO@example.com")])


def test_an_invalid_address_gets_the_form_back_with_what_was_typed(client):
    response = sign_up(client, "not-an-address@")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter an email address like name@example.com." in html
    assert 'value="not-an-address@"' in html
    assert 'aria-invalid="true"' in html
    assert not Subscriber.objects.exists()


def test_a_bot_that_fills_the_honeypot_is_dropped_silently(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, website="https://spam.example")

    assert response.status_code == 302 and response["Location"] == "/newsletter/check-your-inbox/"
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


def test_signups_are_rate_limited_per_address(client, settings):
    settings.NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR = 3

    codes = [sign_up(client, f"reader{i}@example.com").status_code for i in range(4)]
    other_network = client.post(SUBSCRIBE, {"email": "x@example.com"}, REMOTE_ADDR="198.51.100.1")

    assert codes == [302, 302, 302, 429]
    assert other_network.status_code == 302
    assert Subscriber.objects.count() == 4


def test_confirmation_emails_are_capped_site_wide_whatever_the_addresses_asking(
    client, settings, recorded, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_CONFIRMATIONS_PER_HOUR = 3
    log = recorded("newsletter.services")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post(SUBSCRIBE, {"email": f"victim{i}@example.com"}, REMOTE_ADDR=f"198.51.100.{i}") for i in range(5)
        ]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 429, 429]
    refused = answers[3].content.decode()
    assert "cannot send confirmation emails for a while" in refused and 'value="victim3@example.com"' in refused
    assert len(mail.outbox) == 3
    assert not Subscriber.objects.filter(email__in=["victim3@example.com", "victim4@example.com"]).exists()
    assert len([line for line in log.lines if "hourly cap of 3 confirmation emails" in line]) == 1


def test_a_second_request_within_ten_minutes_does_not_count_against_the_cap(client, settings):
    settings.NEWSLETTER_CONFIRMATIONS_PER_HOUR = 1
    assert sign_up(client).status_code == 302
    assert sign_up(client).status_code == 302  # no second email goes, so none is counted


def test_another_newsletter_can_be_chosen(client):
    weekly = NewsletterFactory(name="Weekend Reads", slug="weekend")

    sign_up(client, newsletter=weekly.pk)
    html = client.get("/").content.decode()

    assert Subscription.objects.get().newsletter == weekly
    assert "Weekend Reads" in html and "<select" in html


def test_an_unknown_newsletter_is_a_form_error(client):
    response = sign_up(client, newsletter="999999")

    assert response.status_code == 400
    assert "Choose one of our newsletters." in response.content.decode()


def test_a_source_that_is_not_a_path_on_this_site_is_not_kept(client):
    sign_up(client, source="https://evil.example/")

    assert Subscription.objects.get().source == ""


def test_no_mail_is_sent_for_a_signup_that_is_rolled_back(the_daily, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            subscription_request(email="rolled@example.com", newsletter=the_daily)
            raise RuntimeError("something later failed")

    assert mail.outbox == []
    assert not Subscriber.objects.exists()


class TestConfirmationLink:
    @pytest.fixture
    def message(self, client, the_daily, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            sign_up(client)
        return mail.outbox[0]

    def test_get_shows_one_button_and_confirms_nobody(self, client, message):
        confirm_url = path_of(links_in(message)[0])

        response = client.get(confirm_url)

        assert response.status_code == 200
        assert "Confirm my subscription" in response.content.decode()
        assert b'name="robots" content="noindex"' in response.content
        assert Subscription.objects.get().status == Subscription.Status.PENDING

    def test_post_confirms_once_and_records_where(self, client, message):
        confirm_url = path_of(links_in(message)[0])

        first = client.post(confirm_url, HTTP_USER_AGENT="Phone browser", REMOTE_ADDR="192.0.2.4")
        confirmed_at = Subscription.objects.get().confirmed_at
        again = client.post(confirm_url)

        subscription = Subscription.objects.get()
        assert first.status_code == again.status_code == 200
        assert "You’re subscribed" in first.content.decode()
        assert subscription.status == Subscription.Status.ACTIVE
        assert subscription.confirmed_at == confirmed_at
        assert (subscription.confirm_ip, subscription.confirm_user_agent) == ("192.0.2.4", "Phone browser")

    def test_an_expired_link_is_410_and_changes_nothing(self, client, message, monkeypatch):
        confirm_url = path_of(links_in(message)[0])
        monkeypatch.setattr(tokens, "CONFIRM_MAX_AGE", timedelta(seconds=-1))

        for response in (client.get(confirm_url), client.post(confirm_url)):
            assert response.status_code == 410
            assert "This link has expired" in response.content.decode()
            assert 'action="/newsletter/"' in response.content.decode()
        assert Subscription.objects.get().status == Subscription.Status.PENDING

    @pytest.mark.parametrize(
        "token",
        ["garbage", "eyJzIjoxfQ:1tXYZ:abcdefgh", signing.dumps({"s": 1, "n": 0}, salt="another.purpose")],
        ids=["garbage", "bad signature", "signed for something else"],
    )
    def test_a_tampered_link_is_400_and_changes_nothing(self, client, message, token):
        for response in (client.get(f"/newsletter/confirm/{token}/"), client.post(f"/newsletter/confirm/{token}/")):
            assert response.status_code == 400
            assert "This link is not valid" in response.content.decode()
        assert Subscription.objects.get().status == Subscription.Status.PENDING

    def test_a_link_for_a_removed_subscriber_is_410(self, client, message):
        confirm_url = path_of(links_in(message)[0])
        Subscriber.objects.all().delete()

        assert client.post(confirm_url).status_code == 410


class TestUnsubscribe:
    @pytest.fixture
    def subscription(self, the_daily):
        return SubscriptionFactory(subscriber__email="leaving@example.com", newsletter=the_daily)

    def url(self, subscription):
        return path_of(subscription.unsubscribe_url())

    def test_get_asks_for_one_click_and_changes_nothing(self, client, subscription):
        response = client.get(self.url(subscription))

        assert response.status_code == 200
        assert "<button" in response.content.decode()
        assert Subscription.objects.get().status == Subscription.Status.ACTIVE

    def test_one_click_post_from_a_mail_client_needs_no_csrf_token_or_session(self, subscription):
        from django.test import Client

        mail_client = Client(enforce_csrf_checks=True)
        response = mail_client.post(
            self.url(subscription), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )

        subscription.refresh_from_db()
        assert response.status_code == 200
        assert subscription.status == Subscription.Status.UNSUBSCRIBED
        assert subscription.unsubscribed_at is not None

    def test_unsubscribing_keeps_the_record_and_a_new_signup_needs_confirming_again(
        self, client, subscription, django_capture_on_commit_callbacks
    ):
        client.post(self.url(subscription))
        with django_capture_on_commit_callbacks(execute=True):
            sign_up(client, "leaving@example.com")

        subscription.refresh_from_db()
        assert subscription.status == Subscription.Status.PENDING
        assert len(mail.outbox) == 1

    def test_an_old_confirmation_link_cannot_resubscribe_after_unsubscribing(
        self, client, the_daily, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            sign_up(client, "replay@example.com")
        confirm_url = path_of(links_in(mail.outbox[0])[0])
        client.post(confirm_url)
        subscription = Subscription.objects.get()
        client.post(self.url(subscription))

        replay = client.post(confirm_url)

        assert replay.status_code == 410
        assert Subscription.objects.get().status == Subscription.Status.UNSUBSCRIBED

    def test_a_tampered_unsubscribe_link_is_400(self, client, subscription):
        assert client.post("/newsletter/unsubscribe/not-a-token/").status_code == 400
        assert Subscription.objects.get().status == Subscription.Status.ACTIVE


def test_links_in_the_confirmation_email_work_when_followed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "follow@example.com")
    message = message_from_bytes(mail.outbox[0].message().as_bytes())
    confirm_url, unsubscribe_url = (path_of(u) for u in links_in(mail.outbox[0]))
    assert (
        message["List-Unsubscribe"] == f"<http://127.0.0.1:8000{unsubscribe_url}>"
        or unsubscribe_url in message["List-Unsubscribe"]
    )

    assert client.get(confirm_url).status_code == 200
    assert Subscription.objects.get().status == Subscription.Status.PENDING
    client.post(confirm_url)
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE
    assert client.get(unsubscribe_url).status_code == 200
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE
    client.post(unsubscribe_url)
    assert Subscription.objects.get().status == Subscription.Status.UNSUBSCRIBED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking under real concurrency: PostgreSQL only")
def test_two_simultaneous_signups_of_one_address_make_one_subscription(roles):
    the_daily = Newsletter.objects.get(slug="the-daily")
    barrier = threading.Barrier(2)
    errors = []

    def sign_up_in_thread(email):
        from django.db import connections

        try:
            barrier.wait()
            subscription_request(email=email, newsletter=the_daily)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up_in_thread, args=(e,)) for e in ("Twin@example.com", "twin@example.com")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Subscriber.objects.count() == 1
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize(
    "address",
    ["a@" + "é" * 60 + ".com", "a@" + ".".join(["İ" * 30] * 6) + ".com"],
    ids=["domain that cannot be punycoded", "grows past 254 characters when lower-cased"],
)
def test_addresses_we_could_not_store_or_mail_are_a_form_error(client, address):
    response = sign_up(client, address)

    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_a_long_page_path_does_not_block_the_signup(client):
    response = sign_up(client, source="/" + "x" * 900)

    assert response.status_code == 302
    assert len(Subscription.objects.get().source) == 500


def test_the_signup_hands_the_confirmation_to_the_queue_and_answers_at_once(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    from newsletter import tasks

    queued = []
    monkeypatch.setattr(tasks.send_confirmation, "apply_async", lambda args, **kw: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, "queued@example.com")

    assert response.status_code == 302
    assert mail.outbox == []  # a worker sends it, not the request
    assert queued == [(Subscription.objects.get().pk,)]


def test_with_the_broker_down_the_signup_still_answers_and_the_sweep_queues_it_later(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    from newsletter import tasks
    from newsletter.services import confirmations_unsent

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.send_confirmation, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, "nobroker@example.com")

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.status == "pending" and subscription.confirmation_sent_at is None
    assert confirmations_unsent(now=timezone.now()) == []  # a queued email gets an hour before the sweep
    later = timezone.now() + timedelta(hours=1, minutes=1)
    assert confirmations_unsent(now=later) == [subscription.pk]
    assert confirmations_unsent(now=later) == []  # queued once an hour, not at every tick


def test_every_step_is_kept_in_the_consent_history(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "history@example.com")
    first_confirm = path_of(links_in(mail.outbox[0])[0])
    client.post(first_confirm, REMOTE_ADDR="192.0.2.1")
    subscription = Subscription.objects.get()
    client.post(path_of(subscription.unsubscribe_url()))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SUBSCRIBE, {"email": "history@example.com"}, REMOTE_ADDR="198.51.100.2")

    subscription.refresh_from_db()
    events = list(subscription.events.values_list("kind", "ip"))
    assert events == [
        ("requested", "203.0.113.7"),
        ("confirmed", "192.0.2.1"),
        ("unsubscribed", "127.0.0.1"),
        ("requested", "198.51.100.2"),
    ]
    assert subscription.status == "pending"
    assert subscription.confirmed_at is None and subscription.confirm_ip is None
    assert client.post(first_confirm).status_code == 410


def test_a_staff_unsubscribe_also_kills_older_confirmation_links(client, login_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "staffcase@example.com")
    old_confirm = path_of(links_in(mail.outbox[0])[0])
    subscription = Subscription.objects.get()
    login_as("Audience")
    client.post(
        "/admin/newsletter/subscription/", {"action": "unsubscribe_selected", "_selected_action": [subscription.pk]}
    )
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "staffcase@example.com")

    assert client.post(old_confirm).status_code == 410
    assert Subscription.objects.get().status == "pending"
    assert subscription.events.filter(kind="unsubscribed", note__contains="in the admin").exists()


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_SEC_FETCH_SITE": "cross-site"}, {"HTTP_ORIGIN": "https://elsewhere.example"}, {"HTTP_ORIGIN": "null"}],
    ids=["sec-fetch-site", "foreign origin", "opaque origin"],
)
def test_sign_ups_posted_from_another_website_are_refused(client, the_daily, headers):
    response = client.post("/newsletter/", {"email": "victim@example.org", "newsletter": the_daily.pk}, **headers)

    assert response.status_code == 403
    assert "sent from other websites are refused" in response.content.decode()
    assert 'value="victim@example.org"' in response.content.decode()
    assert not Subscription.objects.exists()
    assert not mail.outbox


def test_sign_ups_from_our_own_pages_are_accepted_by_their_origin(client, the_daily):
    response = client.post(
        "/newsletter/",
        {"email": "reader@example.org", "newsletter": the_daily.pk},
        HTTP_ORIGIN="http://testserver",
        HTTP_SEC_FETCH_SITE="same-origin",
    )

    assert response.status_code == 302
    assert Subscription.objects.filter(subscriber__email="reader@example.org").exists()


def test_past_the_cap_the_preferences_page_starts_no_new_newsletter_and_says_so(settings):
    from newsletter.services import preferences_update

    settings.NEWSLETTER_CONFIRMATIONS_PER_HOUR = 0
    pending = SubscriptionFactory(status=Subscription.Status.PENDING)
    weekly = NewsletterFactory(name="Weekend Reads", slug="weekend")

    change = preferences_update(subscriber=pending.subscriber, wanted_newsletters=[pending.newsletter, weekly])

    assert change.paused == [weekly] and not change.awaiting
    assert not Subscription.objects.filter(subscriber=pending.subscriber, newsletter=weekly).exists()
