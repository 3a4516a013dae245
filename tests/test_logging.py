"""A request the site refuses because of what the client sent is one line in the log, not an error report."""

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
