"""A request the site refuses because of what the client sent is one line in the log, not an error report."""

import base64

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.ADMINS = [("Ops", "ops@example.org")]


@pytest.mark.parametrize("method", ["get", "head", "post"])
def test_a_request_for_a_host_we_do_not_serve_is_one_warning_line_and_no_mail(client, production, recorded, method):
    recorder = recorded("django.security.DisallowedHost")
    requests = recorded("django.request")

    response = getattr(client, method)("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert [record.levelname for record in recorder.records] == ["WARNING"]
    assert recorder.lines == [
        "Invalid HTTP_HOST header: 'evil.example'. You may need to add 'evil.example' to ALLOWED_HOSTS."
    ]
    assert requests.records == []  # logged once, not again as a "Bad Request"
    assert mail.outbox == []


def test_a_request_for_a_host_we_do_not_serve_is_refused_quietly_before_the_https_redirect_too(
    client, production, recorded, settings
):
    settings.SECURE_SSL_REDIRECT = True
    recorder = recorded("django.security.DisallowedHost")

    assert client.get("/", HTTP_HOST="evil.example").status_code == 400
    assert [(record.levelname, record.exc_info) for record in recorder.records] == [("WARNING", None)]
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("limit", "logger"),
    [("DATA_UPLOAD_MAX_MEMORY_SIZE", "RequestDataTooBig"), ("DATA_UPLOAD_MAX_NUMBER_FIELDS", "TooManyFieldsSent")],
)
def test_a_request_that_sends_too_much_is_one_warning_line_and_no_mail(
    client, production, recorded, settings, limit, logger
):
    setattr(settings, limit, 3)
    recorder = recorded(f"django.security.{logger}")

    response = client.post(
        "/newsletter/", {"email": "reader@example.org", "a": "1", "b": "2", "c": "3"}, HTTP_HOST="news.example.org"
    )

    assert response.status_code == 400
    assert [record.levelname for record in recorder.records] == ["WARNING"]
    assert "\n" not in recorder.lines[0]
    assert mail.outbox == []


def _one_warning_line(recorder):
    assert [(record.levelname, record.exc_info, record.stack_info) for record in recorder.records] == [
        ("WARNING", None, None)
    ]
    assert "\n" not in recorder.lines[0] and "Traceback" not in recorder.lines[0]


@pytest.mark.parametrize("credentials", ["newsroom:wrong", "intruder:guess"])
def test_a_webhook_with_a_wrong_password_is_one_warning_line_and_no_mail(
    client, production, recorded, settings, credentials
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "newsroom:webhook-secret"}
    recorder = recorded("django.security.AnymailWebhookValidationFailure")
    requests = recorded("django.request")

    response = client.post(
        "/anymail/postmark/tracking/",
        '{"RecordType": "Bounce", "Email": "a@example.org"}',
        content_type="application/json",
        HTTP_HOST="news.example.org",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(credentials.encode()).decode(),
    )

    assert response.status_code == 400
    _one_warning_line(recorder)
    assert requests.records == []
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("url", "logger"),
    [
        ("/admin/newsletter/suppression/?_to_field=address_hash", "DisallowedModelAdminToField"),
        ("/admin/newsletter/suppression/add/?_to_field=address_hash", "DisallowedModelAdminToField"),
        ("/admin/newsletter/suppression/?added_by__password__startswith=p", "DisallowedModelAdminLookup"),
    ],
)
def test_an_admin_request_for_a_field_it_may_not_name_is_one_warning_line_and_no_mail(
    client, production, recorded, login_as, url, logger
):
    login_as("Audience")
    recorder = recorded(f"django.security.{logger}")
    requests = recorded("django.request")

    response = client.get(url, HTTP_HOST="news.example.org")

    assert response.status_code == 400
    _one_warning_line(recorder)
    assert requests.records == []
    assert mail.outbox == []
