"""Every public newsletter page costs the same few queries however many newsletters and readers there are."""

from urllib.parse import urlsplit

import pytest

from newsletter.models import Newsletter, Subscription
from tests.factories import NewsletterFactory, SectionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[1, 12], ids=["small", "large"])
def site(request):
    n = request.param
    for i in range(n):
        SectionFactory(slug=f"section-{i}")
        NewsletterFactory(slug=f"letter-{i}")
    the_daily = Newsletter.objects.get(slug="the-daily")
    for _ in range(n):
        SubscriptionFactory(newsletter=the_daily)
    return SubscriptionFactory(newsletter=the_daily, status="pending", confirmed_at=None)


def path(url):
    return urlsplit(url).path


def test_signup_page(client, django_assert_num_queries, site):
    # None: the header, footer and the form's newsletters are cached.
    with django_assert_num_queries(0):
        assert client.get("/newsletter/").status_code == 200


def test_check_your_inbox_page(client, django_assert_num_queries, site):
    with django_assert_num_queries(0):
        assert client.get("/newsletter/check-your-inbox/").status_code == 200


def test_confirm_page(client, django_assert_num_queries, site):
    # The subscription with its newsletter and subscriber.
    with django_assert_num_queries(1):
        assert client.get(path(site.confirm_url())).status_code == 200


def test_unsubscribe_page(client, django_assert_num_queries, site):
    with django_assert_num_queries(1):
        assert client.get(path(site.unsubscribe_url())).status_code == 200


def test_bad_link_page(client, django_assert_num_queries, site):
    with django_assert_num_queries(0):
        assert client.get("/newsletter/confirm/not-a-token/").status_code == 400


def test_signup_post(client, django_assert_max_num_queries, site):
    # A new address: lookups and inserts for subscriber, subscription and its history, in one transaction,
    # and the suppression list asked twice (at sign-up, and by the confirmation email's worker, eager here).
    with django_assert_max_num_queries(16):
        assert client.post("/newsletter/", {"email": "new.reader@example.com"}).status_code == 302
    assert Subscription.objects.filter(subscriber__email="new.reader@example.com").exists()
