"""A server error is reported to the team when there is one to report to, and the 500 page says only that."""

import pytest
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from newsroom.errors import server_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.crash_urls")]


@pytest.fixture
def crashing(client):
    client.raise_request_exception = False
    return lambda: client.get("/crash/")


@pytest.fixture
def no_one_to_tell(settings):
    settings.ADMINS = []


def test_a_server_error_is_mailed_to_admins_and_the_page_says_so(crashing, settings):
    settings.ADMINS = [("Night desk", "desk@example.org")]

    response = crashing()

    assert response.status_code == 500
    assert b"reported to our team" in response.content
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["desk@example.org"]
    assert "PressJammed" in mail.outbox[0].body


def test_with_no_one_to_tell_the_500_page_claims_no_one_was_told(crashing, no_one_to_tell):
    response = crashing()

    assert response.status_code == 500
    assert b"Something went wrong" in response.content and b"try again" in response.content
    assert b"told" not in response.content and b"reported" not in response.content
    assert mail.outbox == []


def test_the_500_page_does_not_touch_the_database(no_one_to_tell):
    with CaptureQueriesContext(connection) as queries:
        response = server_error(RequestFactory().get("/crash/"))

    assert response.status_code == 500
    assert len(queries) == 0
    assert b"<!doctype html>" in response.content
