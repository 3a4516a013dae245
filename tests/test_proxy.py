"""A real Varnish with deploy/varnish/newsroom.vcl in front of the live server: readers' pages are kept and
shared, each change purges exactly the pages that show it, and nothing personal is ever kept.

Each test starts its own `varnishd` on loopback, its backends from backends.vcl.example pointed at the live
server, and kills it by the pid it started. Without varnishd (apt-get install varnish varnish-modules) these
are skipped, except under CI, which installs it.
"""

import http.client
import http.server
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from articles.models import Article
from articles.preview import preview_url
from articles.services import article_publish, article_save
from tests.factories import ArticleFactory, CorrectionFactory, SectionFactory
from tests.workers import free_port

ROOT = Path(__file__).resolve().parent.parent
VCL = ROOT / "deploy" / "varnish"


class Varnish:
    def __init__(self, folder: Path, backend_port: int):
        backends = (VCL / "backends.vcl.example").read_text()
        for port in ('"8001"', '"8002"'):
            assert port in backends
            backends = backends.replace(port, f'"{backend_port}"')
        (folder / "backends.vcl").write_text(backends)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "varnishd.log"
        self.process = subprocess.Popen(
            [
                shutil.which("varnishd"),
                "-F",  # in the foreground: the pid started is the manager's
                "-j",
                "none",  # as this user, in folders of this user's
                "-n",
                str(folder / "work"),
                "-a",
                f"127.0.0.1:{self.port}",
                "-T",
                "none",
                "-p",
                f"vcl_path={folder}:{VCL}",
                "-f",
                str(VCL / "newsroom.vcl"),
                "-s",
                "malloc,64m",
            ],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: its child process dies with it
        )

    def wait_until_ready(self, timeout: float = 30) -> None:
        """Until the VCL is loaded and the health probes have found the app server up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"varnishd stopped:\n{self.log.read_text()}")
            try:
                if self.request("GET", "/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"varnishd did not answer within {timeout} s:\n{self.log.read_text()}")

    def request(self, method: str, path: str, headers=None, body=None, source: str | None = None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(source, 0) if source else None
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            response.text = response.read().decode("utf-8", "replace")
            return response
        finally:
            connection.close()

    def get(self, path: str, **headers):
        return self.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def started_varnish(folder: Path, backend_port: int) -> Varnish:
    if shutil.which("varnishd") is None:
        if os.environ.get("CI"):
            pytest.fail("varnishd is not installed, and CI must run the proxy tests (.ci/run installs it)")
        pytest.skip("varnishd is not installed (apt-get install varnish varnish-modules)")
    proxy = Varnish(folder, backend_port)
    try:
        proxy.wait_until_ready()
    except BaseException:
        proxy.stop()
        raise
    return proxy


@pytest.fixture
def varnish(live_server, tmp_path, settings):
    proxy = started_varnish(tmp_path, urlsplit(live_server.url).port)
    try:
        settings.CACHE_PROXIES = [proxy.url]
        yield proxy
    finally:
        proxy.stop()


class Recorder(http.server.ThreadingHTTPServer):
    """An app server that notes each request Varnish sends it (but its health probes) and answers every one with
    a public page whose body is the address it was asked for."""

    daemon_threads = True

    def __init__(self):
        self.seen = []
        super().__init__(("127.0.0.1", 0), RecordingHandler)


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/healthz":
            self.server.seen.append((self.path, dict(self.headers)))
        body = self.path.encode()
        self.send_response(200)
        for name, value in (("Content-Type", "text/plain"), ("Content-Length", str(len(body))), ("xkey", "page")):
            self.send_header(name, value)
        self.send_header("Cache-Control", "public, max-age=60, s-maxage=600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def recorder():
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy_to_recorder(recorder, tmp_path):
    proxy = started_varnish(tmp_path, recorder.server_address[1])
    try:
        yield proxy
    finally:
        proxy.stop()


def kept(varnish, path: str, **headers):
    """Fetch a page twice: the second must come from the proxy."""
    first = varnish.get(path, **headers)
    assert first.status == 200, first.text
    second = varnish.get(path, **headers)
    assert second.getheader("X-Cache") == "HIT", (path, second.getheader("X-Cache"))
    return second


@pytest.mark.django_db(transaction=True)
def test_a_readers_page_is_kept_and_served_from_the_proxy(varnish):
    ArticleFactory(headline="Harbour wall repaired", slug="harbour-wall")

    first = varnish.get("/articles/harbour-wall/")
    second = varnish.get("/articles/harbour-wall/")

    assert first.getheader("X-Cache") == "MISS" and "Harbour wall repaired" in first.text
    assert second.getheader("X-Cache") == "HIT" and second.getheader("Age") is not None
    assert second.text == first.text
    # The keys and the proxy's own lifetime stay with the proxy; browsers and CDNs get the app's max-age.
    assert second.getheader("xkey") is None
    assert "s-maxage" not in second.getheader("Cache-Control") and "max-age=60" in second.getheader("Cache-Control")


@pytest.mark.django_db(transaction=True)
def test_whoever_may_purge_can_see_a_pages_keys(varnish):
    article = ArticleFactory(slug="harbour-wall")

    response = varnish.get("/articles/harbour-wall/", xkey_debug="1")

    assert f"article:{article.pk}" in response.getheader("xkey").split()


@pytest.mark.django_db(transaction=True)
def test_a_publish_purges_its_section_and_the_front_page_and_nothing_unrelated(varnish, admin_user):
    news, sport = SectionFactory(slug="news", name="News"), SectionFactory(slug="sport", name="Sport")
    ArticleFactory(headline="Council meets", slug="council-meets", section=news)
    ArticleFactory(headline="Rowing club wins", slug="rowing-club", section=sport)
    for path in ("/", "/sections/news/", "/sections/sport/", "/articles/rowing-club/"):
        kept(varnish, path)
    draft = ArticleFactory(headline="Ferry timetable changes", slug="ferry", section=news, status=Article.Status.DRAFT)

    article_publish(article=draft, user=admin_user)

    for path in ("/", "/sections/news/"):
        response = varnish.get(path)
        assert response.getheader("X-Cache") == "MISS", path
        assert "Ferry timetable changes" in response.text, path
    assert varnish.get("/sections/sport/").getheader("X-Cache") == "HIT"
    assert varnish.get("/articles/rowing-club/").getheader("X-Cache") == "HIT"


@pytest.mark.django_db(transaction=True)
def test_an_edit_and_a_correction_purge_the_articles_page(varnish, admin_user):
    article = ArticleFactory(headline="Bridge to cost four million", slug="bridge")
    kept(varnish, "/articles/bridge/")

    article.headline = "Bridge to cost six million"
    article_save(article=article, user=admin_user, expected_version=article.version)

    edited = varnish.get("/articles/bridge/")
    assert edited.getheader("X-Cache") == "MISS" and "Bridge to cost six million" in edited.text
    kept(varnish, "/articles/bridge/")

    CorrectionFactory(article=article, text="An earlier version misspelt the engineer's name.")

    corrected = varnish.get("/articles/bridge/")
    assert corrected.getheader("X-Cache") == "MISS" and "misspelt the engineer" in corrected.text


@pytest.mark.django_db(transaction=True)
def test_staff_the_back_office_previews_and_posts_are_never_kept(varnish):
    ArticleFactory(slug="harbour-wall")
    draft = ArticleFactory(slug="draft", status=Article.Status.DRAFT, published_at=None)
    requests = [
        ("GET", "/articles/harbour-wall/", {"Cookie": "sessionid=abc"}),
        ("GET", "/articles/harbour-wall/", {"Cookie": "csrftoken=x; messages=abc"}),
        ("GET", "/admin/", {}),
        ("GET", "/admin/login/", {}),
        ("GET", preview_url(draft), {}),
        ("POST", "/search/", {"Content-Type": "application/x-www-form-urlencoded"}),
    ]

    for method, path, headers in requests:
        for _ in range(2):
            response = varnish.request(method, path, headers=headers, body="q=x" if method == "POST" else None)
            assert response.getheader("X-Cache") == "PASS", (method, path, headers, response.getheader("X-Cache"))


@pytest.mark.django_db(transaction=True)
def test_tracking_parameters_and_their_order_share_one_copy(varnish):
    ArticleFactory(headline="Bridge reopens", slug="bridge")
    kept(varnish, "/search/?q=bridge&sort=newest")

    for path in (
        "/search/?sort=newest&q=bridge",
        "/search/?utm_source=newsletter&q=bridge&utm_medium=email&sort=newest",
        "/search/?q=bridge&fbclid=abc&sort=newest&gclid=def&_ga=1.2",
    ):
        response = varnish.get(path)
        assert response.getheader("X-Cache") == "HIT", path
    assert varnish.get("/?utm_campaign=x").getheader("X-Cache") == "MISS"
    assert varnish.get("/").getheader("X-Cache") == "HIT"


@pytest.mark.django_db(transaction=True)
def test_a_purge_from_an_allowed_host_works_and_a_readers_cookie_still_hits(varnish):
    article = ArticleFactory(slug="harbour-wall")
    kept(varnish, "/articles/harbour-wall/")
    assert varnish.get("/articles/harbour-wall/", Cookie="csrftoken=x; _pk_id=1").getheader("X-Cache") == "HIT"

    purge = varnish.request("PURGE", "/", headers={"xkey-purge": f"article:{article.pk} tag:999"})

    assert purge.status == 200 and int(purge.getheader("purged")) >= 1
    assert varnish.get("/articles/harbour-wall/").getheader("X-Cache") == "MISS"
    assert varnish.request("PURGE", "/").status == 400


@pytest.mark.django_db(transaction=True)
def test_a_purge_from_anywhere_else_is_refused(varnish):
    article = ArticleFactory(slug="harbour-wall")
    kept(varnish, "/articles/harbour-wall/")

    # Loopback, but not an address in the ACL.
    refused = varnish.request("PURGE", "/", headers={"xkey-purge": f"article:{article.pk}"}, source="127.0.0.2")

    assert refused.status == 403
    assert varnish.get("/articles/harbour-wall/").getheader("X-Cache") == "HIT"


# What reaches the app: only the query parameters a page reads, and no scheme a client claims.


@pytest.mark.parametrize(
    "asked, forwarded",
    [
        ("/articles/harbour-wall/?utm_source=x&foo=y&q=1&page=2&sort=newest&p=3", "/articles/harbour-wall/"),
        ("/search/?utm_source=x&sort=newest&q=bridge&page=2&fbclid=1&q=ferry", "/search/?page=2&q=ferry&sort=newest"),
        ("/search?q=bridge&x=1", "/search?q=bridge"),
        ("/sections/news/?x=1&page=2&pages=4&page=3", "/sections/news/?page=3"),
        ("/tags/bridge/?page&&x", "/tags/bridge/"),
        ("/authors/ann/?page=last&_ga=1", "/authors/ann/?page=last"),
        ("/quotes/ann-jones/?%70age=2", "/quotes/ann-jones/"),
        ("/newsletter/daily/archive/?fbclid=1&page=2", "/newsletter/daily/archive/?page=2"),
        ("/sitemap-articles.xml?p=2&x=1&page=3", "/sitemap-articles.xml?p=2"),
        ("/?page=2&q=x", "/"),
    ],
)
def test_the_app_is_asked_only_for_the_query_parameters_a_page_reads(proxy_to_recorder, recorder, asked, forwarded):
    response = proxy_to_recorder.get(asked)

    assert response.status == 200
    assert [path for path, _ in recorder.seen] == [forwarded]


def test_junk_query_strings_share_the_copy_without_them(proxy_to_recorder, recorder):
    for path in ("/articles/harbour-wall/", "/sections/news/?page=2", "/search/?q=bridge&sort=newest"):
        assert proxy_to_recorder.get(path).getheader("X-Cache") == "MISS", path
        for i in range(20):
            junk = f"{path}{'&' if '?' in path else '?'}utm_source=n{i}&foo={i}&{i}"
            assert proxy_to_recorder.get(junk).getheader("X-Cache") == "HIT", junk

    assert len(recorder.seen) == 3


def test_a_page_number_or_an_order_spelt_oddly_goes_to_the_app_and_is_not_kept(proxy_to_recorder, recorder):
    odd = ["/sections/news/?page=01", "/search/?q=bridge&sort=Newest", "/sitemap-articles.xml?p=%31"]
    for path in odd:
        for _ in range(2):
            assert proxy_to_recorder.get(path).getheader("X-Cache") == "PASS", path

    assert [path for path, _ in recorder.seen] == [path for path in odd for _ in range(2)]


def test_email_links_reach_the_app_with_their_query(proxy_to_recorder, recorder):
    for path in ("/newsletter/unsubscribe/abc/?edition=5", "/newsletter/preferences/abc/?edition=5"):
        assert proxy_to_recorder.get(path).getheader("X-Cache") == "PASS"

    assert [path for path, _ in recorder.seen] == [
        "/newsletter/unsubscribe/abc/?edition=5",
        "/newsletter/preferences/abc/?edition=5",
    ]


def test_a_client_cannot_tell_the_app_its_scheme_or_script_name_through_the_proxy(proxy_to_recorder, recorder):
    claims = {
        "X-Forwarded-Ssl": "on",
        "X-Forwarded-Protocol": "ssl",
        "Front-End-Https": "on",
        "X-Forwarded-Scheme": "https",
        "X-Url-Scheme": "https",
        "Forwarded": "proto=https",
        "SCRIPT_NAME": "/elsewhere",
        "X-Forwarded-Proto": "https",  # the TLS terminator's, which it sets on every request
    }

    proxy_to_recorder.request("GET", "/articles/harbour-wall/", headers=claims)

    ((_, headers),) = recorder.seen
    assert {name.lower() for name in headers} & {name.lower() for name in claims} == {"x-forwarded-proto"}
