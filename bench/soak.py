"""Soak: 200 readers over every kind of public page and 20 newsletter sign-ups a second, for five minutes.

Production's processes, on loopback: gunicorn with deploy/gunicorn.conf.py (2 sync workers, DEBUG off, the page
cache on, PostgreSQL, Redis), one `celery -A newsroom worker --concurrency 2` on Redis mailing each confirmation
to the SMTP sink (bench/smtp_sink.py). The readers are `wrk -c200 --latency` walking a shuffled list of real
addresses of every kind of page; the sign-ups a steady 20 a second from threads here, each a reader of its own
(its own address, cookies and X-Forwarded-For) who loads the form and posts it as a browser would. After a
warm-up: errors by kind (target none), p50/p99 of both, every process's RSS after the warm-up and at the end
(target flat), and the confirmation emails the sink took against the sign-ups accepted and stored (target:
one for every sign-up stored).

Called from `bench.run` (last, on its database), or alone on a database of its own, dropped afterwards:
`python -m bench.soak [--quick] [--seconds N] [--database NAME]`, the same as `python -m bench.run --only soak`.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SECONDS = {"full": 300, "quick": 30, "smoke": 5}
WARM_SECONDS = {"full": 30, "quick": 10, "smoke": 2}
ARTICLES = {"full": 10_000, "quick": 1_000, "smoke": 100}  # when run alone, on a database of its own
READERS = 200  # wrk connections
WRK_THREADS = 2
READER_TIMEOUT = 10  # seconds; a reader's answer slower than this is an error (wrk's "timeout")
SIGNUPS_PER_SECOND = 20
SIGNUP_THREADS = 512  # sign-ups at once; one whose turn comes while all wait on the server is not sent
SIGNUP_TIMEOUT = 30
GRACE_SECONDS = 0.5
USER_AGENT = "newsroom-soak/1"  # the sign-ups' (wrk sends none), so the access log tells their requests apart
GUNICORN_WORKERS = 2
CELERY_CONCURRENCY = 2  # deploy/Procfile's WORKER_CONCURRENCY default
SAMPLE_EVERY = 5.0  # seconds between RSS samples
DRAIN_SECONDS = 120  # after the load: how long the last confirmations may take to arrive
# "Flat": each process's RSS at the end no more than this above its RSS after the warm-up (both limits).
FLAT_PERCENT = 10.0
FLAT_MB = 5.0
SITEMAP_LIMIT = 10_000  # articles.sitemaps.ArticleSitemap.limit
PER_PAGE = 12  # articles.views.ArticleListView.paginate_by


def say(text: str) -> None:
    print(text, flush=True)


# The readers' addresses: real ones from the database, of every kind of page.


def prepare() -> None:
    """What some pages need and a benchmark database lacks: the About page, a sent edition of The Daily (its web
    version and archive), and subscribers whose preferences pages readers open from their emails."""
    from django.utils import timezone

    from articles.models import Article
    from newsletter.models import Edition, EditionItem, Newsletter, Subscriber, Subscription
    from pages.models import Page

    Page.objects.get_or_create(
        slug="about",
        defaults={"title": "About us", "body": "<p>The Courier has reported on the town and its villages.</p>"},
    )
    the_daily = Newsletter.objects.get(slug="the-daily")
    if not Edition.objects.public().filter(newsletter=the_daily).exists():
        now = timezone.now()
        edition = Edition.objects.create(
            newsletter=the_daily,
            issue_date=timezone.localdate(),
            subject="Today: the stories of the day",
            preheader="What happened in town today.",
            intro="<p>Good morning. Here is <strong>the day</strong> in brief.</p>",
            status=Edition.Status.SENT,
            started_at=now,
            finished_at=now,
        )
        stories = Article.objects.published().order_by("-published_at")[:5]
        EditionItem.objects.bulk_create(
            EditionItem(edition=edition, article=story, order=n) for n, story in enumerate(stories)
        )
    for n in range(5):
        subscriber, _ = Subscriber.objects.get_or_create(email=f"soak-reader-{n}@example.org")
        Subscription.objects.get_or_create(
            subscriber=subscriber,
            newsletter=the_daily,
            defaults={"status": "active", "subscribed_at": timezone.now(), "confirmed_at": timezone.now()},
        )


def reader_paths(rng: random.Random) -> list[tuple[str, str]]:
    """(kind, path) of every kind of public page, shuffled: 150 articles, the front page ten times, every section
    (and its second page) and its feed, the tags, authors and quoted people of those articles, 40 searches, the
    feeds, every sitemap, robots.txt, the newsletter pages, an edition's web version, preferences pages, About."""
    from django.conf import settings
    from django.urls import reverse

    from articles.models import Article, Byline, Quote, Section, TaggedArticle
    from bench import seed
    from newsletter.models import Edition, Newsletter, Subscription
    from newsroom.urls import SITEMAPS

    published = Article.objects.published()
    slugs = list(published.order_by("?").values_list("slug", flat=True)[:150])
    paths = [("home", "/")] * 10
    paths += [("article", reverse("articles:detail", kwargs={"slug": slug})) for slug in slugs]
    for section in Section.objects.order_by("order"):
        url = section.get_absolute_url()
        paths.append(("section", url))
        if published.filter(section=section).count() > PER_PAGE:
            paths.append(("section", f"{url}?page=2"))
        paths.append(("feed", reverse("articles:section_feed", kwargs={"slug": section.slug})))
    tags = TaggedArticle.objects.filter(content_object__slug__in=slugs).values_list("tag__slug", flat=True)
    paths += [("tag", reverse("articles:tag", kwargs={"slug": slug})) for slug in sorted(set(tags))[:60]]
    authors = Byline.objects.filter(article__slug__in=slugs).values_list("author__slug", flat=True)
    paths += [("author", reverse("articles:author", kwargs={"slug": slug})) for slug in sorted(set(authors))[:60]]
    speakers = Quote.objects.filter(article__slug__in=slugs).values_list("speaker_slug", flat=True)
    paths += [("speaker", reverse("articles:speaker", kwargs={"slug": s})) for s in sorted(set(speakers))[:40]]
    paths += [("search", f"/search/?q={term}") for term in seed.search_terms(40)]
    paths.append(("search", "/search/?q=zebra+crossing+xylophone"))
    paths += [("feed", reverse("articles:feed")), ("feed", reverse("articles:atom_feed"))]
    paths += [("sitemap", "/sitemap.xml"), ("sitemap", "/sitemap-news.xml"), ("robots", "/robots.txt")]
    paths += [("sitemap", f"/sitemap-{name}.xml") for name in SITEMAPS]
    if published.count() > SITEMAP_LIMIT:
        paths.append(("sitemap", "/sitemap-articles.xml?p=2"))
    the_daily = Newsletter.objects.get(slug="the-daily")
    edition = Edition.objects.public().filter(newsletter=the_daily).first()
    paths += [
        ("newsletter", reverse("newsletter:subscribe")),
        ("newsletter", reverse("newsletter:check_inbox")),
        ("edition", edition.get_absolute_url()),
        ("edition", reverse("newsletter:archive", kwargs={"slug": the_daily.slug})),
    ]
    site = settings.SITE_URL.rstrip("/")
    readers = Subscription.objects.filter(subscriber__email__startswith="soak-reader-", status="active")
    paths += [("preferences", s.preferences_url().removeprefix(site)) for s in readers]
    paths.append(("about", "/about/"))
    rng.shuffle(paths)
    return paths


# The processes: the SMTP sink, a Celery worker, gunicorn. Each started here and stopped by its pid.


def _stop(process: subprocess.Popen, sig=signal.SIGTERM, seconds: float = 60) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def celery_worker(env: dict, workdir: Path, queue: str):
    """`celery -A newsroom worker --concurrency 2` (prefork: a parent and two pool processes) on the run's queue."""
    log = workdir / "celery.log"
    command = [str(Path(sys.executable).parent / "celery"), "-A", "newsroom", "worker", "-Q", queue]
    command += ["--concurrency", str(CELERY_CONCURRENCY), "-n", f"soak-{queue}@%h", "-l", "INFO", "-f", str(log)]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with (workdir / "celery.out").open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        said = (log, workdir / "celery.out")  # where "ready." lands depends on the logging settings
        while not any(path.exists() and " ready." in path.read_text() for path in said):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"The Celery worker did not start; see {workdir}/celery.*")
            time.sleep(0.1)
        yield process.pid
    finally:
        _stop(process)


@contextmanager
def gunicorn(env: dict, workdir: Path):
    """gunicorn as deploy/Procfile runs it, with its access log (a line a request) in a file here."""
    from bench.run import free_port, wait_for

    port = free_port()
    command = [str(Path(sys.executable).parent / "gunicorn"), "newsroom.wsgi", "-c", "deploy/gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(GUNICORN_WORKERS)]
    with (workdir / "access.log").open("w") as out, (workdir / "gunicorn.log").open("w") as err:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=err)  # noqa: S603
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield port, process.pid
    finally:
        _stop(process)


# The sign-ups: a steady rate, each a new reader who loads the form and posts it.


class SignupForm(HTMLParser):
    """The fields of the newsletter page's sign-up form as a browser would send them: hidden inputs as they
    are, the checked newsletter, text boxes (the honeypot `website` among them) empty."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.found = self.inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "signup--page" in (attrs.get("class") or ""):
            self.found = self.inside = True
        elif tag == "input" and self.inside and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind == "radio" and "checked" not in attrs:
                return
            self.fields[attrs["name"]] = (attrs.get("value") or "") if kind in {"hidden", "radio"} else ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


class Signups:
    """Sign-ups at `rate` a second from a pool of threads, on schedule whatever the answers' speed (an open loop,
    so a slow server shows as latency, not as fewer sign-ups). Each: GET /newsletter/ (its cookies kept, the form
    read), then POST it with a new address and the honeypot empty, from an X-Forwarded-For address of its own
    (the site trusts one proxy), so the per-address limit of production (10 an hour) applies as to real readers."""

    def __init__(self, port: int, tag: str, rate: float = SIGNUPS_PER_SECOND, host: str = "127.0.0.1"):
        self.host, self.port, self.tag, self.rate = host, port, tag, rate
        self.number = 0
        self.pool = ThreadPoolExecutor(SIGNUP_THREADS, thread_name_prefix="signup")

    def run(self, seconds: float) -> list[dict]:
        futures, started, n = [], time.monotonic(), 0
        while (due := started + n / self.rate) < started + seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            futures.append(self.pool.submit(self.one, self.number, due))
            self.number += 1
            n += 1
        # Time is up: a sign-up still waiting for a free client (all of them waiting on the server) is not sent. The
        # last one queued gets a moment to be taken up by a thread, which the pool starts only when asked.
        wait(futures, timeout=GRACE_SECONDS)
        return [{"not_sent": True, "accepted": False} if f.cancel() else f.result() for f in futures]

    def close(self) -> None:
        self.pool.shutdown()

    def _request(self, method: str, path: str, headers: dict, body: str | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=SIGNUP_TIMEOUT)
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            return response, content, (time.perf_counter() - started) * 1000
        finally:
            connection.close()

    def one(self, n: int, due: float) -> dict:
        result = {"lag_ms": (time.monotonic() - due) * 1000, "accepted": False}
        address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        host = f"{self.host}:{self.port}"
        headers = {"Host": host, "User-Agent": USER_AGENT, "X-Forwarded-For": address}
        try:
            response, content, result["form_ms"] = self._request("GET", "/newsletter/", headers)
            if not 200 <= response.status < 400:
                result["error"] = f"GET /newsletter/ HTTP {response.status}"
                return result
            form = SignupForm()
            form.feed(content.decode("utf-8", "replace"))
            if not form.found:
                result["error"] = "no sign-up form on /newsletter/"
                return result
            cookies = SimpleCookie()
            for value in response.headers.get_all("Set-Cookie") or []:
                cookies.load(value)
            fields = {**form.fields, "email": f"soak-{self.tag}-{n}@example.org", "website": ""}
            token = fields.get("csrfmiddlewaretoken") or (cookies["csrftoken"].value if "csrftoken" in cookies else "")
            if token:  # the sign-up needs none today (it is csrf_exempt); a browser would send it if it had one
                headers["X-CSRFToken"] = token
            post_headers = {
                **headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"http://{host}",
                "Sec-Fetch-Site": "same-origin",
                "Referer": f"http://{host}/newsletter/",
            }
            if cookies:
                post_headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in cookies.items())
            response, _, result["post_ms"] = self._request("POST", "/newsletter/", post_headers, urlencode(fields))
            result["status"] = response.status
            location = response.headers.get("Location", "")
            if response.status == 302 and location.endswith("/newsletter/check-your-inbox/"):
                result["accepted"] = True
            elif 200 <= response.status < 400:
                result["error"] = f"POST answered {response.status}, not the check-your-inbox redirect"
            else:
                result["error"] = f"POST /newsletter/ HTTP {response.status}"
        except TimeoutError:
            result["error"] = f"timeout ({SIGNUP_TIMEOUT} s)"
        except (OSError, http.client.HTTPException) as exc:
            result["error"] = type(exc).__name__
        return result


def summarise_signups(results: list[dict], seconds: float) -> dict:
    from bench.run import percentile

    posts = [r["post_ms"] for r in results if "post_ms" in r]
    forms = [r["form_ms"] for r in results if "form_ms" in r]
    lags = [r["lag_ms"] for r in results if "lag_ms" in r]
    accepted = sum(r["accepted"] for r in results)
    errors = Counter(r["error"] for r in results if "error" in r)
    if not_sent := sum("not_sent" in r for r in results):
        errors[f"not sent: all {SIGNUP_THREADS} clients still waiting on the server"] = not_sent
    return {
        "scheduled": len(results),
        "attempted": len(results) - not_sent,
        "accepted": accepted,
        "accepted_per_second": round(accepted / seconds, 2),
        "errors": dict(errors),
        "post_p50_ms": round(percentile(posts, 50), 1) if posts else None,
        "post_p99_ms": round(percentile(posts, 99), 1) if posts else None,
        "post_max_ms": round(max(posts), 1) if posts else None,
        "form_p50_ms": round(percentile(forms, 50), 1) if forms else None,
        "form_p99_ms": round(percentile(forms, 99), 1) if forms else None,
        "start_lag_p99_ms": round(percentile(lags, 99), 1) if lags else None,
    }


# The readers: wrk.


def run_wrk(url: str, script: Path, seconds: int) -> dict:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{READERS}", f"-d{seconds}s", f"--timeout={READER_TIMEOUT}s"]
    command += ["--latency", "-s", str(script), url]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise SystemExit(f"wrk failed ({completed.returncode}): {completed.stderr}")
    return parse_wrk(completed.stdout)


def _ms(value: str, unit: str) -> float:
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit], 2)


def parse_wrk(output: str) -> dict:
    """Rate, latency percentiles and every kind of error from `wrk --latency`'s report."""
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    percentiles = {
        p: _ms(value, unit) for p, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    maximum = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)) if sockets else {}
    )
    return {
        "requests": int(total.group(1)),
        "requests_per_second": round(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), 1),
        "p50_ms": percentiles.get("50"),
        "p99_ms": percentiles.get("99"),
        "max_ms": _ms(*maximum.groups()) if maximum else None,
        "non_2xx_3xx": int(bad.group(1)) if bad else 0,
        "socket_errors": {kind: n for kind, n in errors.items() if n},
    }


# What the server saw: gunicorn's access log, by kind of page.

ACCESS_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) \S+ "[^"]*" "(?P<agent>[^"]*)" (?P<ms>\d+)ms'
)


def access_log(path: Path, offset: int, kinds: dict[str, str]) -> dict:
    """From `offset` on: each kind's requests, its answers that were not 2xx or 3xx by status, and the server's
    own time (p50, p99, max: the request's time in the worker, without the wait for one)."""
    from bench.run import percentile

    times: dict[str, list[int]] = {}
    bad: dict[str, Counter] = {}
    with path.open("rb") as log:
        log.seek(offset)
        for raw in log:
            match = ACCESS_LINE.search(raw.decode("utf-8", "replace"))
            if not match:
                continue
            if match["agent"] == USER_AGENT:
                kind = "sign-up POST" if match["method"] == "POST" else "sign-up form"
            else:
                kind = kinds.get(match["path"], "other")
            times.setdefault(kind, []).append(int(match["ms"]))
            if not 200 <= int(match["status"]) < 400:
                bad.setdefault(kind, Counter())[match["status"]] += 1
    return {
        kind: {
            "requests": len(values),
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "max_ms": max(values),
            "bad": dict(bad.get(kind, {})),
        }
        for kind, values in sorted(times.items(), key=lambda item: -len(item[1]))
    }


# Memory: each process's RSS, from /proc.


def processes(roots: dict[int, str]) -> dict[int, str]:
    """Each root (gunicorn's master, the Celery worker) and its children, named."""
    from bench.newsletter_send import _children

    tree = _children()
    named = {}
    for pid, name in roots.items():
        named[pid] = f"{name} (parent)"
        for child in sorted(tree.get(pid, [])):
            named[child] = f"{name} child"
    return named


class RssSampler(threading.Thread):
    """Every SAMPLE_EVERY seconds, the RSS (MB) of every process under the roots."""

    def __init__(self, roots: dict[int, str]):
        super().__init__(daemon=True)
        self.roots = roots
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.names: dict[int, str] = {}
        self.stopping = threading.Event()

    def sample(self) -> dict[int, float]:
        from bench.newsletter_send import _rss_mb

        named = processes(self.roots)
        self.names.update(named)
        sizes = {pid: _rss_mb(pid) for pid in named}
        self.samples.append((time.monotonic(), sizes))
        return sizes

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_EVERY):
            self.sample()

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def is_flat(start_mb: float, end_mb: float) -> bool:
    growth = end_mb - start_mb
    return growth <= FLAT_MB and growth <= start_mb * FLAT_PERCENT / 100


def memory_report(sampler: RssSampler, start: dict[int, float], end: dict[int, float]) -> list[dict]:
    rows = []
    for pid in sorted(set(start) | set(end), key=lambda p: (sampler.names.get(p, ""), p)):
        series = [sizes[pid] for _, sizes in sampler.samples if sizes.get(pid)]
        row = {"process": sampler.names.get(pid, "?"), "pid": pid}
        if pid not in start or pid not in end or not end[pid]:
            row["note"] = "started during the run" if pid not in start else "gone by the end (restarted or crashed)"
            row["flat"] = False
        else:
            growth = end[pid] - start[pid]
            row |= {
                "start_mb": round(start[pid], 1),
                "end_mb": round(end[pid], 1),
                "max_mb": round(max(series), 1),
                "growth_mb": round(growth, 1),
                "growth_percent": round(100 * growth / start[pid], 1),
                "flat": is_flat(start[pid], end[pid]),
            }
        rows.append(row)
    return rows


# The run.


def redis_url() -> str:
    """The benchmark's Redis database (BENCH_REDIS_URL, default 15): the cache and the broker, emptied before
    and after the soak."""
    import redis

    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    return url


def _sink_count(port: int) -> int:
    from bench.smtp_sink import count

    return count(port)[0]


def measure(*, env: dict, workdir: Path, seconds: int, warm_seconds: int) -> dict:
    """The soak, on the database Django is set up on (which has published articles)."""
    from bench.newsletter_send import sink
    from bench.run import paths_script

    try:
        redis = redis_url()
    except Exception as exc:  # noqa: BLE001 (no Redis: no broker for the worker, so no soak)
        say(f"  (soak not run: no Redis at {os.environ.get('BENCH_REDIS_URL', 'redis://127.0.0.1:6379/15')}: {exc})")
        return {"skipped": f"no Redis: {exc}"}
    prepare()
    paths = reader_paths(random.Random(5))
    kinds = dict((path, kind) for kind, path in paths)
    queue = f"bench-soak-{uuid.uuid4().hex[:12]}"  # no other worker on the broker takes this run's tasks
    tag = secrets.token_hex(4)  # the run's sign-up addresses: soak-<tag>-<n>@example.org
    results: dict = {
        "seconds": seconds,
        "warm_seconds": warm_seconds,
        "reader_connections": READERS,
        "signups_per_second": SIGNUPS_PER_SECOND,
        "gunicorn_workers": GUNICORN_WORKERS,
        "celery_concurrency": CELERY_CONCURRENCY,
        "paths": dict(Counter(kind for kind, _ in paths)),
        "flat": f"RSS at the end <= RSS after warm-up + {FLAT_MB:g} MB and + {FLAT_PERCENT:g}%",
    }
    with sink(workdir) as (smtp_port, _):
        soak_env = {
            **env,
            "REDIS_URL": redis,
            "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL") or redis,
            "CELERY_QUEUE": queue,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "PAGE_CACHE": "1",  # as in production (its default with DEBUG off)
            "NUM_PROXIES": "1",  # each sign-up comes from an X-Forwarded-For address of its own
            "NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR": "10",  # production's limit, per reader's address
            "NEWSLETTER_CONFIRMATIONS_PER_HOUR": "1000000000",  # the site-wide cap on confirmation emails: off
            "LOG_LEVEL": "WARNING",
        }
        with celery_worker(soak_env, workdir, queue) as celery_pid, gunicorn(soak_env, workdir) as (port, web_pid):
            base = f"http://127.0.0.1:{port}"
            # Every address once, one at a time: any that does not answer 2xx or 3xx is an error of its own and
            # leaves the readers' list (so one broken page does not hide how the others hold up).
            preflight = {}
            for kind, path in sorted(set(paths)):
                try:
                    status = _get(port, path)
                except (OSError, http.client.HTTPException) as exc:
                    status = type(exc).__name__
                if not (isinstance(status, int) and 200 <= status < 400):
                    preflight[path] = f"{kind}: {status}"
            results["preflight_errors"] = preflight
            paths = [(kind, path) for kind, path in paths if path not in preflight]
            script = paths_script(workdir, "soak", [path for _, path in paths])
            signups = Signups(port, tag)
            roots = {web_pid: "gunicorn", celery_pid: "celery worker"}
            try:
                say(f"Soak: warming up for {warm_seconds} s ({READERS} readers, {SIGNUPS_PER_SECOND} sign-ups/s)")
                warm = _load(base, script, signups, warm_seconds)
                results["warm_up"] = {"readers": warm[0], "signups": summarise_signups(warm[1], warm_seconds)}
                sampler = RssSampler(roots)
                start = sampler.sample()
                offset = (workdir / "access.log").stat().st_size
                sampler.start()
                load_before = os.getloadavg()[0]
                say(f"Soak: {seconds} s of {READERS} readers and {SIGNUPS_PER_SECOND} sign-ups a second")
                readers, signed = _load(base, script, signups, seconds)
                sampler.stop()
                end = sampler.sample()
                results["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            finally:
                signups.close()
            accepted = sum(r["accepted"] for r in warm[1]) + sum(r["accepted"] for r in signed)
            # The last emails: until the sink has one for every sign-up stored (a request whose reader gave up may
            # still be stored after the load stops), or nothing has changed for 30 s.
            received_at_end = received = _sink_count(smtp_port)
            drained_at = last_change = time.monotonic()
            counts = _stored(tag)
            while time.monotonic() - drained_at < DRAIN_SECONDS and time.monotonic() - last_change < 30:
                time.sleep(0.5)
                now = _stored(tag), _sink_count(smtp_port)
                if now == (counts, received):
                    if received >= counts["stored"]:
                        break
                else:
                    (counts, received), last_change = now, time.monotonic()
            results["drain_seconds"] = round(time.monotonic() - drained_at, 1)
            results["readers"] = readers
            results["signups"] = summarise_signups(signed, seconds)
            results["server"] = access_log(workdir / "access.log", offset, kinds)
            results["memory"] = memory_report(sampler, start, end)
            results["memory_series"] = {
                str(pid): [round(sizes.get(pid, 0.0), 1) for _, sizes in sampler.samples] for pid in sampler.names
            }
            results["errors_in_logs"] = _log_errors(workdir)
    results["emails"] = {
        "signups_accepted": accepted,
        "subscriptions_stored": counts["stored"],
        "confirmations_recorded_sent": counts["recorded_sent"],
        "received_by_sink_at_end_of_load": received_at_end,
        "received_by_sink": received,
    }
    errors = Counter()
    for kind, n in results["readers"]["socket_errors"].items():
        errors[f"readers: socket {kind}"] += n
    if results["readers"]["non_2xx_3xx"]:
        errors["readers: non-2xx/3xx answers"] += results["readers"]["non_2xx_3xx"]
    for kind, n in results["signups"]["errors"].items():
        errors[f"sign-ups: {kind}"] += n
    for path, what in results["preflight_errors"].items():
        errors[f"first request: {path} ({what})"] += 1
    results["errors"] = dict(errors)  # as the clients saw them; the same answers by kind of page, as the server did:
    results["server_errors"] = {
        f"{kind} HTTP {status}": n for kind, f in results["server"].items() for status, n in f["bad"].items()
    }
    kept = results["emails"]["subscriptions_stored"]
    # Every sign-up the site stored got its one email. A reader who gave up waiting (a timeout) may have been stored
    # all the same, so fewer may be accepted (the redirect arrived) than stored.
    mailed = kept == results["emails"]["confirmations_recorded_sent"] == results["emails"]["received_by_sink"]
    results["targets"] = {
        "no_errors": not errors and not results["server_errors"],
        "memory_flat": all(row["flat"] for row in results["memory"]),
        "every_confirmation_received": mailed and 0 < accepted <= kept,
    }
    try:
        import redis as redis_client

        redis_client.Redis.from_url(redis).flushdb()
    except Exception as exc:  # noqa: BLE001
        say(f"  (could not empty {redis}: {exc})")
    return results


def _stored(tag: str) -> dict:
    """The run's sign-ups stored, and those whose confirmation the database records as sent."""
    from django.db.models import Count, Q

    from newsletter.models import Subscription

    return Subscription.objects.filter(subscriber__email__startswith=f"soak-{tag}-").aggregate(
        stored=Count("id"), recorded_sent=Count("id", filter=Q(confirmation_sent_at__isnull=False))
    )


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _load(base: str, script: Path, signups: Signups, seconds: int) -> tuple[dict, list[dict]]:
    """wrk and the sign-ups at once, for `seconds`."""
    signed: list[dict] = []
    thread = threading.Thread(target=lambda: signed.extend(signups.run(seconds)), daemon=True)
    thread.start()
    readers = run_wrk(base + "/", script, seconds)
    thread.join()
    return readers, signed


def _log_errors(workdir: Path) -> dict:
    """Tracebacks and errors the processes logged (gunicorn's error log, the Celery worker's log)."""
    found = {}
    for name in ("gunicorn.log", "celery.log", "celery.out"):
        path = workdir / name
        if path.exists():
            lines = [
                line.strip()
                for line in path.read_text(errors="replace").splitlines()
                if re.search(r"\b(ERROR|CRITICAL|Traceback|WORKER TIMEOUT)\b", line)
            ]
            if lines:
                found[name] = {"lines": len(lines), "first": lines[:5]}
    return found


def print_section(r: dict) -> None:
    if "skipped" in r:
        say(f"soak: not run ({r['skipped']})")
        return
    mark = {True: "met", False: "MISSED"}
    rd, su, em = r["readers"], r["signups"], r["emails"]
    say(
        f"soak ({r['seconds']} s after {r['warm_seconds']} s warm-up; {r['reader_connections']} readers over "
        f"{sum(r['paths'].values())} addresses of {len(r['paths'])} kinds, {r['signups_per_second']} sign-ups/s; "
        f"gunicorn {r['gunicorn_workers']} sync workers, celery --concurrency {r['celery_concurrency']}):"
    )
    say(
        f"  readers: {rd['requests']:,} requests, {rd['requests_per_second']:,} req/s, "
        f"p50 {rd['p50_ms']} ms, p99 {rd['p99_ms']} ms, max {rd['max_ms']} ms"
    )
    say(
        f"  sign-ups: {su['accepted']:,} accepted of {su.get('scheduled', su['attempted']):,} "
        f"({su['accepted_per_second']}/s), "
        f"POST p50 {su['post_p50_ms']} ms, p99 {su['post_p99_ms']} ms (form GET p50 {su['form_p50_ms']}, "
        f"p99 {su['form_p99_ms']}); started late by p99 {su['start_lag_p99_ms']} ms"
    )
    before, after = r.get("load_average_1min", ("?", "?"))
    say(f"  machine load average (1 min) when the soak started and ended: {before} and {after}")
    say("  server time by kind (gunicorn's access log; requests, p50/p99/max ms):")
    for kind, f in r["server"].items():
        bad = f"  bad: {f['bad']}" if f["bad"] else ""
        say(f"    {kind:<14}{f['requests']:>9,}{f['p50_ms']:>7}{f['p99_ms']:>7}{f['max_ms']:>7}{bad}")
    say(f"  errors (target 0): {sum(r['errors'].values())} {r['errors'] or ''}  {mark[r['targets']['no_errors']]}")
    if r.get("server_errors"):
        say(f"    answered by the server as: {r['server_errors']}")
    for name, logged in r.get("errors_in_logs", {}).items():
        say(f"    {name}: {logged['lines']} error lines, first: {logged['first'][0][:160]}")
    say(f"  memory, RSS MB after warm-up -> end (max), flat = {r['flat']}:")
    for row in r["memory"]:
        if "note" in row:
            say(f"    {row['process']:<24} pid {row['pid']:<8} {row['note']}")
            continue
        say(
            f"    {row['process']:<24} pid {row['pid']:<8} {row['start_mb']:>7} -> {row['end_mb']:>7} "
            f"({row['max_mb']:>7}) {row['growth_mb']:+7} MB {row['growth_percent']:+6}%  {mark[row['flat']]}"
        )
    say(
        f"  confirmations (each stored sign-up's email received): {em['signups_accepted']:,} sign-ups accepted "
        f"(warm-up included), "
        f"{em['subscriptions_stored']:,} stored, {em['confirmations_recorded_sent']:,} recorded sent, "
        f"{em['received_by_sink']:,} received by the sink ({em['received_by_sink_at_end_of_load']:,} when the load "
        f"stopped, the rest within {r['drain_seconds']} s)  {mark[r['targets']['every_confirmation_received']]}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 s after a 10 s warm-up, 1,000 articles")
    parser.add_argument("--seconds", "--soak-seconds", type=int, help="how long the soak runs (default 300)")
    parser.add_argument("--database", help="the soak's own database (dropped and created, and dropped after)")
    args = parser.parse_args(argv)
    standalone(quick=args.quick, seconds=args.seconds, database=args.database)


def standalone(*, quick: bool, seconds: int | None, database: str | None) -> dict:
    """The soak alone, on a database of its own seeded for it (dropped afterwards, as the Redis database is
    emptied): `python -m bench.soak` or `python -m bench.run --only soak`."""
    from bench import run

    scale = "quick" if quick else "full"
    seconds = seconds or SECONDS[scale]
    name = database or f"newsroom_bench_soak{'_quick' if quick else ''}"
    run.require_tools()
    admin_url, database_url = run.database_urls(name)
    run.create_database(admin_url, name)
    say(f"Soak database: {name} (dropped and created for this run, dropped after)")
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-soak-"))
    env = run.bench_environment(database_url, workdir, os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    import psycopg

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench import seed

    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        step = time.monotonic()
        seed.add_articles(ARTICLES[scale])
        say(f"Seeded {ARTICLES[scale]:,} articles ({time.monotonic() - step:.0f} s)")
        results = measure(env=env, workdir=workdir, seconds=seconds, warm_seconds=WARM_SECONDS[scale])
        results |= {"date": run.datetime.now(run.UTC).isoformat(timespec="seconds"), "machine": run.machine()}
        results["articles"] = seed.Article.objects.published().count()
        say("")
        print_section(results)
        run.RESULTS.mkdir(parents=True, exist_ok=True)
        (run.RESULTS / "soak.json").write_text(json.dumps(results, indent=2) + "\n")
        say("\nWritten to bench/results/soak.json")
    except BaseException:
        say(f"The soak stopped; its logs are kept in {workdir}")
        raise
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    finally:
        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


if __name__ == "__main__":
    main()
