import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from newsletter.models import Subscriber, Subscription
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def audience(login_as):
    return login_as("Audience")


def test_deleting_a_subscriber_erases_the_address_subscriptions_and_log_mentions(client, audience):
    subscription = SubscriptionFactory(subscriber__email="forget.me@example.com")
    subscriber = subscription.subscriber
    LogEntry.objects.log_actions(
        audience.pk, [subscriber], CHANGE, change_message="looked at forget.me@example.com", single_object=True
    )
    SubscriptionFactory(subscriber__email="keep@example.com")

    response = client.post(f"/admin/newsletter/subscriber/{subscriber.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["keep@example.com"]
    assert Subscription.objects.count() == 1
    content_type = ContentType.objects.get_for_model(Subscriber)
    reprs = " ".join(
        LogEntry.objects.filter(content_type=content_type)
        .values_list("object_repr", "change_message")
        .values_list("object_repr", flat=True)
    )
    assert "forget.me" not in reprs
    assert not LogEntry.objects.filter(change_message__contains="forget.me").exists()


def test_bulk_erasure_from_the_change_list(client, audience):
    doomed = [SubscriptionFactory().subscriber for _ in range(3)]

    client.post(
        "/admin/newsletter/subscriber/",
        {"action": "delete_selected", "_selected_action": [s.pk for s in doomed], "post": "yes"},
    )

    assert not Subscriber.objects.exists()
    assert not LogEntry.objects.filter(object_repr__contains="@").exists()


def test_audience_can_unsubscribe_someone_on_request(client, audience):
    subscription = SubscriptionFactory()

    client.post(
        "/admin/newsletter/subscription/", {"action": "unsubscribe_selected", "_selected_action": [subscription.pk]}
    )

    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed" and subscription.unsubscribed_at is not None


def test_audit_fields_are_read_only(client, audience):
    subscription = SubscriptionFactory(signup_ip="203.0.113.1")

    client.post(
        f"/admin/newsletter/subscription/{subscription.pk}/change/", {"signup_ip": "198.51.100.9", "status": "pending"}
    )

    subscription.refresh_from_db()
    assert subscription.signup_ip == "203.0.113.1"
    assert subscription.status == "active"


def test_erasure_leaves_no_address_in_the_log_even_after_a_subscription_was_deleted_first(client, audience):
    subscription = SubscriptionFactory(subscriber__email="erase.me@example.com")
    subscriber = subscription.subscriber
    client.post(f"/admin/newsletter/subscription/{subscription.pk}/delete/", {"post": "yes"})
    SubscriptionFactory(subscriber=subscriber)

    client.post(f"/admin/newsletter/subscriber/{subscriber.pk}/delete/", {"post": "yes"})

    assert not Subscriber.objects.exists()
    assert not LogEntry.objects.filter(object_repr__icontains="erase.me").exists()
    assert not LogEntry.objects.filter(change_message__icontains="erase.me").exists()
