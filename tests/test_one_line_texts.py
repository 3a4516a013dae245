"""A line break where a text must be one line (an email subject, a headline), and control characters where the
text goes into XML: refused with a clear message on the way in, and harmless in whatever was stored before."""

import re
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from articles.models import Article
from newsletter.models import Edition, Newsletter
from newsroom.text import one_line, validate_one_line
from tests.admin_forms import article_form, form_values
from tests.factories import ArticleFactory, EditionFactory, SectionFactory

pytestmark = pytest.mark.django_db

FORGED = "Flood warning\r\nBcc: everyone@example.com"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Flood\nwarning", "remove a line break after “Flood”."),
        ("\r\nFlood warning", "remove a line break at the start."),
        ("Flood\u2028warning", "remove a line break after “Flood”."),
        ("Flood\x0bwarning", "remove an invisible control character after “Flood”."),
    ],
)
def test_a_one_line_text_with_a_break_or_a_control_character_is_refused_saying_where(text, message):
    with pytest.raises(ValidationError) as refused:
        validate_one_line(text)
    assert refused.value.messages == [f"This must be one line of text: {message}"]


def test_tabs_and_any_other_text_are_one_line():
    validate_one_line("Flood\twarning: “rivers rise” — 20 cm <b>")
    assert one_line(" Flood\r\n warning\x0b for\u2028the  coast ") == "Flood warning for the coast"


def test_a_forged_edition_subject_with_a_line_break_is_refused_and_what_was_typed_kept(admin_client):
    edition = EditionFactory()
    form = form_values(admin_client.get(f"/admin/newsletter/edition/{edition.pk}/change/").text)
    data = {name: values[0] for name, values in form.items() if values}
    data["subject"] = FORGED

    response = admin_client.post(f"/admin/newsletter/edition/{edition.pk}/change/", data)

    assert response.status_code == 200
    assert "This must be one line of text: remove a line break after “Flood warning”." in response.text
    assert "Bcc: everyone@example.com" in response.text  # kept in the box (a browser drops the break)
    assert Edition.objects.get(pk=edition.pk).subject == edition.subject


def test_a_forged_headline_with_a_line_break_is_refused(admin_client):
    response = admin_client.post("/admin/articles/article/add/", article_form(SectionFactory(), headline=FORGED))

    assert response.status_code == 200
    assert "This must be one line of text: remove a line break after “Flood warning”." in response.text
    assert not Article.objects.exists()


def test_an_edition_stored_with_a_line_break_in_its_subject_still_sends_on_one_line(client, login_as):
    editor = login_as("Editor")
    editor.email = "editor@example.com"
    editor.save()
    edition = EditionFactory(subject=FORGED, articles=[ArticleFactory()])  # stored before the rule, say

    response = client.post(f"/admin/newsletter/edition/{edition.pk}/send-test/", follow=True)

    assert response.status_code == 200
    [message] = mail.outbox
    assert message.subject == "[Test] Flood warning Bcc: everyone@example.com"
    assert message.message()["Bcc"] is None


def test_a_newsletter_name_with_a_line_break_leaves_its_confirmation_mail_whole(
    client, django_capture_on_commit_callbacks
):
    newsletter = Newsletter.objects.create(name="The\nEvening\rPost", slug="evening")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/newsletter/",
            {"email": "reader@example.org", "newsletter": newsletter.pk},
            HTTP_SEC_FETCH_SITE="same-origin",
        )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject == "Confirm your subscription to The Evening Post"
    assert "\n" not in str(message.message()["Subject"])
    assert newsletter.list_id().startswith("The Evening Post <evening.")


@pytest.mark.parametrize("path", ["/sitemap-news.xml", "/sitemap-articles.xml", "/feeds/rss.xml", "/feeds/atom.xml"])
def test_feeds_and_sitemaps_stay_xml_whatever_a_headline_holds(client, path):
    """A control character pasted into a text (a vertical tab from a word processor) that no form refused, or
    stored before the rule: XML 1.0 cannot carry it, so it is dropped."""
    ArticleFactory(headline="Storm\x0bwarning for the coast", standfirst="Gales\x1b reach the harbour.")

    response = client.get(path)

    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own server's answer)
    if path == "/sitemap-news.xml":
        assert [el.text for el in root.iter("{http://www.google.com/schemas/sitemap-news/0.9}title")] == [
            "Stormwarning for the coast"
        ]


def test_a_refused_form_shows_the_body_as_it_would_be_saved_with_every_word(admin_client):
    body = '<p>The river <img src=x onerror="alert(1)">rose <a href="javascript:alert(2)">overnight</a>.</p>'
    response = admin_client.post("/admin/articles/article/add/", article_form(SectionFactory(), headline="", body=body))

    assert response.status_code == 200
    [shown] = form_values(response.text)["body"]
    assert "The river" in shown and "rose" in shown and "overnight" in shown
    assert not re.search(r"onerror|javascript:", shown)
