"""The editions' back office: Editors compose and send, Audience staff read the reports, Journalists see nothing."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.utils import timezone

from newsletter.models import Delivery, Edition, EditionItem
from tests.admin_forms import form_values
from tests.factories import ArticleFactory, EditionFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/newsletter/edition/"
STEPS = ["send-test", "schedule", "unschedule", "send-now", "pause", "resume", "cancel"]


def url(edition, step=""):
    return f"{ADMIN}{edition.pk}/{step + '/' if step else 'change/'}"


@pytest.fixture
def edition():
    return EditionFactory(articles=[ArticleFactory(headline="First story"), ArticleFactory(headline="Second story")])


@pytest.fixture
def editor(login_as):
    user = login_as("Editor")
    user.email = "editor@example.com"
    user.save()
    return user


def logged(edition) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(edition.pk)).order_by("pk").values_list("change_message", flat=True)
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_editors_see_the_list_with_counts_and_the_edition_with_its_steps(client, editor, edition):
    listing = client.get(ADMIN)
    page = client.get(url(edition))

    assert listing.status_code == 200
    assert edition.subject in listing.text
    assert page.status_code == 200
    for label in ["Send a test to me", "Schedule…", "Send now…", "Cancel the edition…", "Preview the email"]:
        assert label in page.text
    assert 'name="items-0-article"' in page.text  # the stories inline, editable


def test_editors_send_a_test_to_themselves_built_as_the_workers_build_it(client, editor, edition):
    SubscriptionFactory(subscriber__email="reader@example.com")

    response = client.post(url(edition, "send-test"), follow=True)

    [message] = mail.outbox
    assert message.to == ["editor@example.com"]
    assert message.subject == f"[Test] {edition.subject}"
    assert re.fullmatch(r"<https?://[^>]+/newsletter/>", message.extra_headers["List-Unsubscribe"])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "First story" in message.body
    assert "First story" in message.alternatives[0][0]
    assert "\ue000" not in message.body + message.alternatives[0][0]
    # Staff are not subscribers: the reader's links (unsubscribe, preferences) go to the sign-up page.
    assert re.search(r"Choose your newsletters: https?://\S+/newsletter/\n", message.body)
    assert "/preferences/" not in message.body + message.alternatives[0][0]
    assert "/unsubscribe/" not in message.body + message.alternatives[0][0]
    assert "A test was sent to editor@example.com." in messages_of(response)
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT
    assert logged(edition) == ["Test sent to editor@example.com"]


def test_a_test_to_someone_without_an_address_is_refused_with_a_message(client, login_as, edition):
    login_as("Editor")

    response = client.post(url(edition, "send-test"), follow=True)

    assert mail.outbox == []
    assert any("no email address" in m for m in messages_of(response))


def test_the_test_copy_carries_the_same_list_headers_as_a_subscribers_copy(
    client, editor, edition, django_capture_on_commit_callbacks
):
    SubscriptionFactory(subscriber__email="reader@example.com")
    client.post(url(edition, "send-test"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(edition, "send-now"))

    test_copy, subscriber_copy = mail.outbox
    assert subscriber_copy.to == ["reader@example.com"]
    assert set(subscriber_copy.extra_headers) - set(test_copy.extra_headers) == {"Message-ID"}
    for header in ["List-Id", "List-Unsubscribe-Post", "Precedence", "Auto-Submitted"]:
        assert test_copy.extra_headers[header] == subscriber_copy.extra_headers[header]
    assert subscriber_copy.extra_headers["List-Unsubscribe"].startswith("<http")


def test_send_now_asks_first_naming_the_recipients_and_sends_nothing_until_confirmed(
    client, editor, edition, django_capture_on_commit_callbacks
):
    SubscriptionFactory.create_batch(3)
    SubscriptionFactory(status="unsubscribed")

    confirm = client.get(url(edition, "send-now"))

    assert confirm.status_code == 200
    assert "3 subscribers" in confirm.text
    assert mail.outbox == []
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(edition, "send-now"))
    response = client.get(url(edition))

    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT  # tasks run eagerly in tests: the workers are done
    assert len(mail.outbox) == 3
    assert edition.sent_count == 3
    assert "Sending started to 3 recipients" in logged(edition)
    assert 'data-progress="status_label">Sent</strong>' in response.text


def test_editors_schedule_go_back_to_draft_and_cancel(client, editor, edition):
    at = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)

    form = client.get(url(edition, "schedule"))
    client.post(url(edition, "schedule"), {"send_at": at.strftime("%Y-%m-%dT%H:%M")})
    edition.refresh_from_db()
    assert form.status_code == 200
    assert edition.status == Edition.Status.SCHEDULED
    assert edition.send_at == at
    assert edition.approved_by == editor

    client.post(url(edition, "unschedule"))
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT

    assert "cannot be undone" in client.get(url(edition, "cancel")).text
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT
    client.post(url(edition, "cancel"))
    edition.refresh_from_db()
    assert edition.status == Edition.Status.CANCELLED

    assert logged(edition) == [f"Scheduled for {at:%Y-%m-%d %H:%M}", "Back to draft", "Cancelled"]


def test_the_schedule_form_offers_the_newsletters_send_time(client, editor):
    edition = EditionFactory(issue_date=timezone.localdate() + datetime.timedelta(days=2), articles=[ArticleFactory()])

    response = client.get(url(edition, "schedule"))

    expected = timezone.localtime(edition.newsletter.send_at(edition.issue_date))
    assert f'value="{expected:%Y-%m-%dT%H:%M}"' in response.text


def test_editors_pause_and_resume_a_sending_edition(client, editor, edition):
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENDING, started_at=timezone.now())

    client.post(url(edition, "pause"))
    edition.refresh_from_db()
    assert edition.status == Edition.Status.PAUSED
    page = client.get(url(edition))
    assert "Paused by an editor" in page.text
    assert "Resume" in page.text

    client.post(url(edition, "resume"))
    edition.refresh_from_db()
    assert edition.status in {Edition.Status.SENDING, Edition.Status.SENT}
    assert logged(edition)[:2] == ["Paused: Paused by an editor", "Resumed"]


def test_a_step_the_edition_is_not_in_a_state_for_gives_a_message_not_an_error(client, editor, edition):
    response = client.post(url(edition, "pause"), follow=True)
    resumed = client.post(url(edition, "resume"), follow=True)
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT)
    sent_again = client.post(url(edition, "send-now"), follow=True)

    assert response.status_code == resumed.status_code == sent_again.status_code == 200
    assert "Nothing was done: Only an edition that is sending can be paused." in messages_of(response)
    assert "Nothing was done: Only a paused edition can be resumed." in messages_of(resumed)
    assert "Nothing was done: A sent edition cannot be sent." in messages_of(sent_again)
    assert mail.outbox == []


def test_a_get_changes_nothing(client, editor, edition):
    for step in ["send-test", "unschedule", "pause", "resume"]:
        assert client.get(url(edition, step)).status_code == 302
    client.get(url(edition, "send-now"))
    client.get(url(edition, "cancel"))

    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT
    assert mail.outbox == []


def test_the_preview_shows_the_html_and_the_text_with_article_text_escaped(client, editor):
    edition = EditionFactory(articles=[ArticleFactory(headline="<script>alert(1)</script>")])

    response = client.get(url(edition, "preview"))

    assert response.status_code == 200
    srcdoc = re.search(r'<iframe[^>]*sandbox="[^"]*"[^>]*srcdoc="([^"]*)"', response.text).group(1)
    html = unescape(srcdoc)  # what the sandboxed frame renders
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    text = unescape(re.search(r"<pre[^>]*>(.*?)</pre>", response.text, re.S).group(1))
    assert "<script>alert(1)</script>" in text  # plain text as text, escaped in the page
    assert "<script>alert(1)" not in response.text
    assert "\ue000" not in html + text
    assert "/newsletter/" in text  # the unsubscribe line points at the sign-up page
    assert re.search(r"Choose your newsletters: https?://\S+/newsletter/\n", text)
    assert "/preferences/" not in html + text and "/unsubscribe/" not in html + text


def test_reordering_the_stories_in_the_form_reorders_the_email(client, editor, edition):
    data = form_values(client.get(url(edition)).text)
    first, second = data["items-0-order"], data["items-1-order"]
    data["items-0-order"], data["items-1-order"] = second, first
    data["items-0-blurb"] = ["Now second, with a blurb"]

    response = client.post(url(edition), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    preview = client.get(url(edition, "preview")).text
    text = unescape(re.search(r"<pre[^>]*>(.*?)</pre>", preview, re.S).group(1))
    assert text.index("Second story") < text.index("First story") < text.index("Now second, with a blurb")


def test_removing_and_adding_stories_in_the_form(client, editor, edition):
    newcomer = ArticleFactory(headline="Late story")
    data = form_values(client.get(url(edition)).text)
    data["items-0-DELETE"] = ["on"]
    data["items-2-article"], data["items-2-order"] = [str(newcomer.pk)], ["5"]

    client.post(url(edition), data)

    assert [i.article.headline for i in EditionItem.objects.filter(edition=edition)] == ["Second story", "Late story"]


def test_only_published_stories_can_be_added_or_found(client, editor, edition):
    draft = ArticleFactory(headline="Draft story", status="draft", published_at=None)
    data = form_values(client.get(url(edition)).text)
    data["items-2-article"], data["items-2-order"] = [str(draft.pk)], ["5"]

    response = client.post(url(edition), data)
    found = client.get(
        "/admin/autocomplete/",
        {"term": "story", "app_label": "newsletter", "model_name": "editionitem", "field_name": "article"},
    ).json()

    assert response.status_code == 200  # the form again, with the error
    assert not EditionItem.objects.filter(article=draft).exists()
    assert "Draft story" not in [result["text"] for result in found["results"]]
    assert {"First story", "Second story"} <= {result["text"] for result in found["results"]}


def test_a_sent_edition_is_read_only_and_shows_its_report(client, editor, edition):
    subscriptions = SubscriptionFactory.create_batch(2)
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SENT,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        recipient_count=2,
        sent_count=1,
        failed_count=1,
    )
    Delivery.objects.create(edition=edition, subscription=subscriptions[0], status="sent")
    Delivery.objects.create(
        edition=edition, subscription=subscriptions[1], status="failed", error="550 No such mailbox"
    )

    page = client.get(url(edition))
    edited = client.post(url(edition), {"subject": "Changed afterwards"})

    assert page.status_code == 200
    assert 'name="subject"' not in page.text
    assert 'name="items-0-article"' not in page.text
    assert "550 No such mailbox" in page.text
    assert f"Subscription #{subscriptions[1].pk}" in page.text  # editors do not see subscribers' addresses
    assert edition.get_absolute_url() in page.text
    assert "Send now…" not in page.text
    assert edited.status_code == 403
    assert Edition.objects.get(pk=edition.pk).subject == edition.subject


def test_a_sent_edition_cannot_be_deleted_alone_or_in_a_selection(client, editor, edition):
    draft = EditionFactory(issue_date=edition.issue_date - datetime.timedelta(days=1))
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT, started_at=timezone.now())

    refused = client.post(f"{ADMIN}{edition.pk}/delete/", {"post": "yes"})
    client.post(ADMIN, {"action": "delete_selected", "_selected_action": [edition.pk], "post": "yes"})
    client.post(f"{ADMIN}{draft.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 403
    assert Edition.objects.filter(pk=edition.pk).exists()
    assert not Edition.objects.filter(pk=draft.pk).exists()


def test_while_sending_the_page_shows_progress_and_the_json_endpoint_answers(client, editor, edition):
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SENDING, started_at=timezone.now(), recipient_count=10, sent_count=4, failed_count=1
    )

    page = client.get(url(edition))
    progress = client.get(url(edition, "progress")).json()

    assert '<meta http-equiv="refresh"' in page.text
    assert "<progress" in page.text
    assert "data-polling" in page.text
    assert progress == {
        "status": "sending",
        "status_label": "Sending",
        "recipients": 10,
        "sent": 4,
        "failed": 1,
        "skipped": 0,
        "left": 5,
        "paused_reason": "",
        "polling": True,
    }


def test_a_finished_edition_does_not_poll_or_reload(client, editor, edition):
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT, started_at=timezone.now())

    page = client.get(url(edition))

    assert 'http-equiv="refresh"' not in page.text
    assert "data-polling" not in page.text


def test_audience_staff_read_editions_and_reports_but_take_no_step(client, login_as, edition):
    login_as("Audience")
    SubscriptionFactory()

    assert client.get(ADMIN).status_code == 200
    page = client.get(url(edition))
    assert page.status_code == 200
    assert 'name="subject"' not in page.text
    assert "Send now…" not in page.text
    assert client.get(url(edition, "preview")).status_code == 200
    assert client.get(url(edition, "progress")).status_code == 200
    for step in STEPS:
        assert client.post(url(edition, step), {"send_at": "2030-01-01T07:00"}).status_code == 403, step
        assert client.get(url(edition, step)).status_code == 403, step
    assert client.post(url(edition), {"subject": "Changed"}).status_code == 403
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT
    assert mail.outbox == []


def test_journalists_see_nothing_of_editions(client, login_as, edition):
    login_as("Journalist")

    assert "/admin/newsletter/edition/" not in client.get("/admin/").text
    assert client.get(ADMIN).status_code == 403
    assert client.get(url(edition)).status_code == 403
    for step in ["preview", "progress", *STEPS]:
        assert client.get(url(edition, step)).status_code == 403, step
        assert client.post(url(edition, step)).status_code == 403, step
    assert mail.outbox == []


@pytest.mark.parametrize("object_id", ["abc", "999999"])
def test_an_edition_address_that_names_nothing_is_not_an_error(client, login_as, object_id):
    login_as("Editor")
    response = client.get(f"/admin/newsletter/edition/{object_id}/change/")
    assert response.status_code == 302  # the admin's "does not exist" message, on the list
