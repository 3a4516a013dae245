"""The headers that tell the browser what a page may do, on every kind of page, fresh or from the cache, and the
endpoint the browser reports violations to."""

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

from tests.factories import ArticleFactory
from tests.reader_pages import seed_reader_pages

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def inline_style_sources(html: str) -> list[str]:
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
        for style in re.findall(r"<style>(.*?)</style>", html, re.S)
    ]


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.handlers = []

    def handle_starttag(self, tag, attrs):
        self.handlers += [f"{tag} {name}" for name, _ in attrs if name.startswith("on")]


def event_handler_attributes(html: str) -> list[str]:
    parser = _Attributes()
    parser.feed(html)
    return parser.handlers


def assert_readers_headers(response):
    csp = policy(response)
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'nonce-" not in response["Content-Security-Policy"]  # the same for every reader: kept in the cache
    assert csp["report-uri"] == ["/csp-report/"]
    html = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/ld+json"' in attributes for attributes in inline_scripts), "inline script"
    for source in inline_style_sources(html):
        assert source in csp["style-src"], "the page's inlined stylesheet is not allowed by its hash"
    assert not event_handler_attributes(html)
    assert {"camera=()", "geolocation=()", "microphone=()"} <= set(response["Permissions-Policy"].split(", "))
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_every_kind_of_readers_page_carries_a_strict_policy_fresh_and_from_the_cache(client):
    pages = seed_reader_pages()
    for name, url in pages.items():
        for attempt in ("made", "from the cache"):
            response = client.get(url)
            assert response.status_code in {200, 404}, (name, attempt)
            assert_readers_headers(response)
    for name in ("home", "article", "section", "tag"):  # kept, headers and all (a busy machine may need a try more)
        assert any(client.get(pages[name]).get("X-Page-Cache") == "hit" for _ in range(3)), name


def test_feeds_sitemaps_and_robots_carry_the_policy_too(client):
    ArticleFactory()
    for url in ["/feeds/rss.xml", "/feeds/atom.xml", "/sitemap.xml", "/sitemap-news.xml", "/robots.txt"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert policy(response)["default-src"] == ["'none'"], url
        assert policy(response)["script-src"] == ["'self'"], url
        assert "Permissions-Policy" in response, url
        # A browser shows XML in its own viewer, which styles the tree inline; nothing else of ours does that.
        xml = url.endswith(".xml")
        assert (policy(response)["style-src"] == ["'self'", "'unsafe-inline'"]) is xml, url
        assert ("data:" in policy(response)["img-src"]) is xml, url


def test_the_server_error_page_is_styled_within_the_policy(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    settings.ROOT_URLCONF = "tests.crash_urls"
    response = client.get("/crash/")
    assert response.status_code == 500
    sources = inline_style_sources(response.content.decode())
    assert sources and all(source in policy(response)["style-src"] for source in sources)


def test_the_back_office_allows_its_editors_import_map_by_nonce_only(admin_client):
    article = ArticleFactory()
    response = admin_client.get(f"/admin/articles/article/{article.pk}/change/")
    csp = policy(response)
    nonce = next(source for source in csp["script-src"] if source.startswith("'nonce-"))[7:-1]
    html = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts, "the body editor's import map is inline"
    assert all(f'nonce="{nonce}"' in attributes or "application/json" in attributes for attributes in inline_scripts)
    assert csp["frame-ancestors"] == ["'none'"] and "'unsafe-inline'" not in csp["script-src"]
    other = admin_client.get(f"/admin/articles/article/{article.pk}/change/")
    assert policy(other)["script-src"] != csp["script-src"], "a nonce is never used twice"


def test_the_back_office_without_inline_code_sends_no_nonce(admin_client):
    response = admin_client.get("/admin/")
    assert not any(source.startswith("'nonce-") for source in policy(response)["script-src"])


def test_violation_reports_are_logged_and_refused_when_malformed(client, recorded):
    log = recorded("newsroom.csp")
    report = {
        "csp-report": {
            "document-uri": "https://news.example/articles/bridge/",
            "blocked-uri": "inline",
            "effective-directive": "script-src-elem",
            "script-sample": "alert(1)\n[fake] a forged log line",
        }
    }

    response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert len(log.records) == 1 and "script-src-elem" in log.lines[0] and "\n" not in log.lines[0]
    reporting_api = [{"type": "csp-violation", "body": {"documentURL": "/", "blockedURL": "eval"}}]
    assert client.post("/csp-report/", json.dumps(reporting_api), content_type="application/reports+json").status_code
    assert len(log.records) == 2 and "eval" in log.lines[1]

    assert client.post("/csp-report/", "{not json", content_type="application/csp-report").status_code == 400
    assert client.post("/csp-report/", "x" * 40_000, content_type="application/csp-report").status_code == 413
    assert client.get("/csp-report/").status_code == 405
    assert len(log.records) == 2


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"csp-report":' * 1500 + "1" + "}" * 1500, '"\\ud800"'])
def test_a_report_nested_too_deep_or_not_a_report_is_refused_not_a_server_error(client, recorded, body):
    log = recorded("newsroom.csp")
    response = client.post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code in (204, 400) and len(log.records) == 0


def test_a_flood_of_reports_from_one_address_is_logged_only_so_far(client, recorded):
    log = recorded("newsroom.csp")
    body = json.dumps({"csp-report": {"blocked-uri": "inline", "effective-directive": "style-src"}})
    for _ in range(50):
        assert client.post("/csp-report/", body, content_type="application/csp-report").status_code == 204
    assert len(log.records) == 20
