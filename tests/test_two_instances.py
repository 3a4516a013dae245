"""Two app servers behave as one: two real gunicorn processes on the test database and one Redis, a worker on a
real broker and a real SMTP server. Nothing is sticky: a reader or an editor may land on either."""

import http.cookiejar
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group, User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.models import Article
from newsletter.models import Subscription
from tests.factories import ArticleFactory
from tests.workers import ROOT, Sink, Workers, free_port, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.workers]

SIGNUP_LIMIT = 3


class Browser:
    """One reader's or editor's cookies, sent to whichever instance a request goes to (as behind one address)."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects, urllib.request.HTTPHandler
        )

    def request(self, url: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            request = urllib.request.Request(url, data=body)  # noqa: S310 (our own servers on loopback)
            response = self.opener.open(request, timeout=20)
        except urllib.error.HTTPError as error:  # 3xx and 4xx: the answer is what is tested
            response = error
        response.text = response.read().decode()
        return response

    def csrf_token(self, url: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.request(url).text).group(1)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Instance:
    def __init__(self, name: str, env: dict, tmp_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"{name}.log"
        command = [sys.executable, "-m", "gunicorn", "newsroom.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", "1", "--control-socket", str(tmp_path / f"{name}.ctl")]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.url} stopped:\n{self.log.read_text()}")
        try:
            urllib.request.urlopen(f"{self.url}/healthz", timeout=1)  # noqa: S310 (our own server on loopback)
        except OSError:
            return False
        return True

    def stop(self) -> None:
        self.process.terminate()  # the one we started, by its pid
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def sink(tmp_path):
    server = Sink(tmp_path / "maildir")
    yield server
    server.stop()


@pytest.fixture
def site(real_redis, tmp_path, sink):
    """Instances A and B and a worker, all on the test database, one Redis (cache, rate limits) and
    one broker; the test process talks to them over HTTP only."""
    workers = Workers(
        "redis",
        tmp_path,
        sink.port,
        REDIS_URL=settings.CACHES["default"]["LOCATION"],
        PAGE_CACHE="1",
        NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR=SIGNUP_LIMIT,
        SECRET_KEY=secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
    )
    a, b = Instance("a", workers.env, tmp_path), Instance("b", workers.env, tmp_path)
    workers.start(concurrency=1)
    try:
        wait_for(lambda: a.answers() and b.answers(), timeout=60, what="both instances")
        yield a, b, workers
    finally:
        a.stop()
        b.stop()
        workers.stop_all()


def editor_browser(instance: Instance) -> Browser:
    # Hashed as the instances hash (this test process uses a faster hasher of its own).
    password = PBKDF2PasswordHasher().encode("a long editor password", PBKDF2PasswordHasher().salt(), iterations=1000)
    user = User.objects.create(username="night-editor", password=password, is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    browser = Browser()
    token = browser.csrf_token(f"{instance.url}/admin/login/")
    response = browser.request(
        f"{instance.url}/admin/login/?next=/admin/",
        {"username": "night-editor", "password": "a long editor password", "csrfmiddlewaretoken": token},
    )
    assert response.status == 302, response.text
    return browser


def test_an_editors_session_made_on_one_instance_works_on_the_other(site):
    a, b, _ = site
    browser = editor_browser(a)
    # Signed in with a password on A, with the authenticator's code on B: the second factor is in the shared session.
    device = TOTPDevice.objects.create(user=User.objects.get(username="night-editor"), name="phone", confirmed=True)
    assert browser.request(f"{a.url}/admin/").status == 302
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    token = browser.csrf_token(f"{b.url}/admin/two-factor/verify/")
    verified = browser.request(f"{b.url}/admin/two-factor/verify/", {"token": code, "csrfmiddlewaretoken": token})
    assert verified.status == 302, verified.text

    for instance in (b, a, b):
        response = browser.request(f"{instance.url}/admin/")
        assert response.status == 200 and "night-editor" in response.text

    token = browser.csrf_token(f"{b.url}/admin/")  # a form of B's, posted to A: logging out works as well
    assert browser.request(f"{a.url}/admin/logout/", {"csrfmiddlewaretoken": token}).status == 200
    assert browser.request(f"{b.url}/admin/").status == 302  # out everywhere


def test_a_story_published_through_one_instance_is_on_the_other_at_once(site):
    a, b, _ = site
    draft = ArticleFactory(status=Article.Status.DRAFT, headline="Flood barrier holds overnight")
    reader = Browser()
    for _ in range(2):  # B's front page is cached before the publish
        front = reader.request(f"{b.url}/")
        assert front.status == 200 and "Flood barrier holds overnight" not in front.text
    assert front.headers["X-Page-Cache"] == "hit"
    assert reader.request(f"{b.url}{draft.get_absolute_url()}").status == 404

    editor = editor_browser(a)
    token = editor.csrf_token(f"{a.url}/admin/articles/article/")
    response = editor.request(
        f"{a.url}/admin/articles/article/",
        {"action": "publish_now", "_selected_action": draft.pk, "index": 0, "csrfmiddlewaretoken": token},
    )
    assert response.status == 302, response.text
    assert Article.objects.get(pk=draft.pk).status == Article.Status.PUBLISHED

    article = reader.request(f"{b.url}{draft.get_absolute_url()}")
    assert article.status == 200 and "Flood barrier holds overnight" in article.text
    assert "Flood barrier holds overnight" in reader.request(f"{b.url}/").text


def test_the_sign_up_limit_and_the_confirmation_link_hold_across_instances(site, sink):
    a, b, workers = site
    reader = Browser()
    statuses = [
        reader.request(f"{instance.url}/newsletter/", {"email": f"reader{n}@example.org"}).status
        for n, instance in enumerate([a, b, a, b])
    ]
    assert statuses == [302, 302, 302, 429]  # one count for the reader's address, whichever instance answered

    wait_for(lambda: sink.count() == SIGNUP_LIMIT, timeout=60, what="the confirmation emails", workers=workers)
    message = next(m for m in sink.messages() if m["To"] == "reader0@example.org")  # signed up through A
    link = re.search(r"https?://\S+/newsletter/confirm/[^/\s]+/", message.get_body(("plain",)).get_content())
    path = urllib.parse.urlsplit(link.group(0)).path

    token = reader.csrf_token(f"{a.url}{path}")  # the page on A, its button pressed on B
    assert reader.request(f"{b.url}{path}", {"csrfmiddlewaretoken": token}).status == 200
    assert Subscription.objects.get(subscriber__email="reader0@example.org").status == Subscription.Status.ACTIVE
