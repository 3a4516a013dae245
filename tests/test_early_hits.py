"""A reader's page from the cache is answered before Django sees the request (newsroom.wsgi.application), with
the headers, encodings, conditional GETs and HEAD answers it has through Django."""

import gzip

import brotli
import pytest
from django.core import signals
from django.test import RequestFactory

from newsroom.public_cache import EarlyHits
from tests.factories import ArticleFactory
from tests.test_head_requests import in_the_test_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def application():
    from django.core.handlers.wsgi import WSGIHandler

    return EarlyHits(WSGIHandler())


@pytest.fixture
def story():
    return ArticleFactory(headline="Bridge reopens", slug="bridge-reopens")


@pytest.fixture
def requests_to_django():
    seen = []

    def count(sender, **kwargs):
        seen.append(kwargs.get("environ", {}).get("PATH_INFO"))

    signals.request_started.connect(count)
    yield seen
    signals.request_started.disconnect(count)


def call(application, method="GET", path="/articles/bridge-reopens/", **headers):
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started.update(status=int(status.split()[0]), headers=dict(response_headers))

    environ = RequestFactory().generic(method, path, **headers).environ
    with in_the_test_transaction():
        result = application(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    return started["status"], started["headers"], body


def test_a_cached_page_is_answered_without_django(application, story, requests_to_django):
    status, made, body = call(application)
    assert (status, made["X-Page-Cache"]) == (200, "miss")

    status, headers, again = call(application)

    assert (status, headers["X-Page-Cache"], again) == (200, "hit", body)
    assert requests_to_django == ["/articles/bridge-reopens/"]  # the first request only
    assert int(headers["Content-Length"]) == len(again)
    for name in ("ETag", "Last-Modified", "Cache-Control", "Vary", "xkey", "Content-Type"):
        assert headers[name], name


def test_an_early_answer_carries_the_security_headers_of_the_page(application, story):
    _, made, _ = call(application)
    _, headers, _ = call(application)

    for name in (
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "X-Frame-Options",
        "Content-Security-Policy",
        "Permissions-Policy",
    ):
        assert headers[name] == made[name], name
    assert headers["X-Page-Cache"] == "hit"


def test_an_early_answer_is_compressed_as_the_browser_accepts(application, story):
    _, _, plain = call(application)

    _, squeezed, body = call(application, HTTP_ACCEPT_ENCODING="gzip, br")
    _, zipped, zipped_body = call(application, HTTP_ACCEPT_ENCODING="gzip")

    assert squeezed["Content-Encoding"] == "br" and brotli.decompress(body) == plain
    assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(zipped_body) == plain
    assert len({squeezed["ETag"], zipped["ETag"]}) == 2


def test_conditional_gets_are_answered_early_with_304(application, story, requests_to_django):
    _, headers, _ = call(application)
    call(application)
    requests_to_django.clear()

    by_etag = call(application, HTTP_IF_NONE_MATCH=headers["ETag"])
    by_date = call(application, HTTP_IF_MODIFIED_SINCE=headers["Last-Modified"])
    other = call(application, HTTP_IF_NONE_MATCH='"something-else"')

    assert (by_etag[0], by_etag[2], by_date[0], by_date[2]) == (304, b"", 304, b"")
    assert "Content-Length" not in by_etag[1] and by_etag[1]["ETag"] == headers["ETag"]
    assert other[0] == 200 and other[2]
    assert requests_to_django == []


def test_head_is_answered_early_with_the_length_and_no_body(application, story):
    _, _, body = call(application)

    status, headers, empty = call(application, method="HEAD")

    assert (status, headers["X-Page-Cache"], empty) == (200, "hit", b"")
    assert int(headers["Content-Length"]) == len(body)


def test_staff_posts_and_changed_pages_go_on_to_django(application, story, requests_to_django):
    call(application)
    call(application)
    requests_to_django.clear()

    call(application, HTTP_COOKIE="sessionid=abc")
    call(application, method="POST", path="/newsletter/")
    story.headline = "Bridge reopens to buses"
    story.save()
    status, headers, body = call(application)

    assert len(requests_to_django) == 3
    assert headers["X-Page-Cache"] == "miss" and b"to buses" in body


def test_parameters_a_page_does_not_read_are_answered_early_from_the_bare_pages_entry(
    application, story, requests_to_django
):
    call(application)

    status, headers, _ = call(application, path="/articles/bridge-reopens/?utm_source=x&foo=y")

    assert (status, headers["X-Page-Cache"]) == (200, "hit")
    assert requests_to_django == ["/articles/bridge-reopens/"]


def test_the_early_path_and_django_agree_on_the_parameters_a_page_reads(application, story, requests_to_django):
    status, made, body = call(application, path="/search/?utm_source=x&q=bridge&sort=newest")
    assert (status, made["X-Page-Cache"]) == (200, "miss") and b"Bridge reopens" in body

    status, headers, again = call(application, path="/search/?sort=newest&q=bridge&fbclid=y")
    other = call(application, path="/search/?q=ferry&sort=newest")

    assert (status, headers["X-Page-Cache"], again) == (200, "hit", body)
    assert other[1]["X-Page-Cache"] == "miss" and b"Bridge reopens" not in other[2]
    assert requests_to_django == ["/search/", "/search/"]
