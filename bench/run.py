"""`make bench` (or `make bench-quick`): seed a PostgreSQL database of its own, measure, print a table and
write bench/results/latest.json. Every speed is reported beside a limit measured in the same run on the
same machine: nginx serving the same saved HTML, PostgreSQL's own COPY of the same rows.

Needs PostgreSQL (DATABASE_URL names the server; the benchmark creates and drops its own database there),
and wrk, nginx, psql and Varnish (Debian packages wrk, nginx-light, postgresql-client, varnish, varnish-modules).
Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/15) shares the cache between the two gunicorn workers
(that database is flushed) and is the broker of the newsletter send's Celery workers (BENCH_BROKER_URL to use
another), on a queue of the run's own. The soak (bench/soak.py) ends the run; `--only soak` runs it alone.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

SCALES = {
    "full": {
        "article_steps": [1_000, 5_000, 10_000, 100_000],
        # The size the performance issue measured pages made from nothing on (its item 11: 5,000 articles).
        "issue_step": 5_000,
        "subscription_steps": [100_000, 1_000_000],
        "import_rows": 100_000,
        "samples": 500,
        "wrk_seconds": 15,
        "warm_pages": 10_000,
        "database": "newsroom_bench",
    },
    "quick": {
        "article_steps": [100, 300, 1_000],
        "issue_step": 300,
        "subscription_steps": [2_000, 10_000],
        "import_rows": 5_000,
        "samples": 40,
        "wrk_seconds": 1,
        "warm_pages": 300,
        "database": "newsroom_bench_quick",
    },
    # CI's smoke (tests/test_bench_smoke.py): every step at a tiny size, to show each still runs, in a minute or
    # two. Its figures mean nothing; it fails when any step fails or any answer is an error (smoke_failures).
    "smoke": {
        "article_steps": [40, 80],
        "issue_step": 80,
        "subscription_steps": [300],
        "import_rows": 200,
        "samples": 5,
        "wrk_seconds": 1,
        "warm_pages": 20,
        "database": "newsroom_bench_smoke",
        "lighthouse_runs": 1,
        "section_pages": 1,  # a section of a few stories has one page
    },
}
WRK_THREADS, WRK_CONNECTIONS = 2, 16
# Through gunicorn, each page: made from nothing (PARTS_CACHE=0 and PAGE_CACHE=0), made again from its cached
# parts (PAGE_CACHE=0), and answered from the page cache.
HTTP_MODES = ("made", "uncached", "cached")
GUNICORN_WORKERS = 2


def say(text: str) -> None:
    print(text, flush=True)


# Set-up: tools, database, environment.


def require_tools() -> None:
    """wrk, nginx, psql and Varnish (with its xkey module): installed from Debian's packages when missing and we
    may (root with apt-get)."""
    packages = {
        "wrk": "wrk",
        "nginx": "nginx-light",
        "psql": "postgresql-client",
        "varnishd": "varnish varnish-modules",
    }
    missing = [tool for tool in packages if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists())]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"Installing {', '.join(packages[m] for m in missing)} for the benchmark")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            [
                "apt-get",
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                *" ".join(packages[m] for m in missing).split(),
            ],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
        )
        missing = [tool for tool in packages if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists())]
    if missing:
        raise SystemExit(
            f"The benchmark needs {', '.join(missing)}: apt-get install {' '.join(packages[m] for m in missing)}"
        )


def database_urls(name: str) -> tuple[str, str]:
    """The server's maintenance database, and the benchmark's own database on the same server."""
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://user@host:5432/anything")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def redis_url() -> str:
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url).flushdb()
        return url
    except Exception as exc:  # noqa: BLE001 (any failure means: no Redis for this run)
        say(f"  (no Redis at {url}: {exc}; the local-memory cache is used)")
        return ""


def bench_environment(database_url: str, workdir: Path, cache_url: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "600",  # persistent connections, as in production
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "SECURE_HSTS_SECONDS": "0",
        "REDIS_URL": cache_url,
        "EMAIL_URL": "dummy:",
        "CELERY_BROKER_DIR": str(workdir / "broker"),
        "NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR": "1000000000",
        # The site's own cap on confirmation emails an hour (500) would refuse all but the first 500 sign-ups.
        "NEWSLETTER_CONFIRMATIONS_PER_HOUR": "1000000000",
        "NEWSLETTER_IMPORT_MAX_MB": "500",
        "MEDIA_ROOT": str(workdir / "media"),
        "SERVE_MEDIA": "1",  # the pictures, for Lighthouse (in production the web server or a CDN serves them)
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


# Measuring.


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def timed(client, paths: list[str], *, parts_cache: bool) -> list[float]:
    """Each address asked for in turn, in-process: the ms of each."""
    from django.test.utils import override_settings

    times = []
    with override_settings(PARTS_CACHE=parts_cache):
        for path in paths:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return times


def in_process(paths: list[str]) -> dict:
    """SQL queries of the first page, and server time per request over all with the page cache off: first with
    every part made afresh (`PARTS_CACHE=0`: as after a deploy, or for a page whose parts a change invalidated),
    then with the parts cached (as a page made again after someone else's change finds them); queries of the
    page made from nothing and of the page from its parts."""
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    cache.clear()
    with override_settings(PAGE_CACHE=False):
        reset_queries()  # the query log is a bounded deque: a full one would count nothing
        with override_settings(PARTS_CACHE=False), CaptureQueriesContext(connection) as captured:
            assert client.get(paths[0]).status_code == 200, paths[0]
        queries = len(captured)
        made = timed(client, paths, parts_cache=False)
        timed(client, sorted(set(paths)), parts_cache=True)  # each page's parts made and kept
        with CaptureQueriesContext(connection) as captured:
            client.get(paths[0])
        queries_from_parts = len(captured)
        cached = timed(client, paths, parts_cache=True)
    return {
        "queries": queries,
        "queries_from_parts": queries_from_parts,
        "median_ms_parts_made": round(statistics.median(made), 2),
        "p95_ms_parts_made": round(percentile(made, 95), 2),
        "median_ms": round(statistics.median(cached), 2),
        "p95_ms": round(percentile(cached, 95), 2),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"Nothing answered at {url}")


@contextmanager
def gunicorn(env: dict, *, page_cache: bool, parts_cache: bool = True):
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "newsroom.wsgi",
            "--workers",
            str(GUNICORN_WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "PAGE_CACHE": "1" if page_cache else "0",
            "PARTS_CACHE": "1" if parts_cache else "0",
        },
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@contextmanager
def nginx(workdir: Path, html: bytes, *, gzipped: bool = False):
    """nginx serving `html` from disk as /page.html; `gzipped`: `html` is compressed already, and nginx sends it
    as it is to a client that accepts gzip (gzip_static)."""
    root = workdir / ("nginx-gzip" if gzipped else "nginx")
    (root / "www").mkdir(parents=True, exist_ok=True)
    (root / "www" / ("page.html.gz" if gzipped else "page.html")).write_bytes(html)
    if gzipped:
        (root / "www" / "page.html").write_bytes(b"")  # what gzip_static stands beside
    port = free_port()
    (root / "nginx.conf").write_text(
        f"""
daemon off;
worker_processes {GUNICORN_WORKERS};
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type text/html;
    sendfile on;
    gzip_static {"on" if gzipped else "off"};
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
    }}
}}
"""
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([binary, "-c", str(root / "nginx.conf"), "-p", str(root)])  # noqa: S603
    try:
        wait_for(f"http://127.0.0.1:{port}/page.html")
        yield f"http://127.0.0.1:{port}/page.html"
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


def wrk(
    url: str, seconds: int, *, script: Path | None = None, close: bool = False, headers: dict | None = None
) -> dict:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if close:
        command += ["-H", "Connection: close"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: .*", output)

    def latency(label):
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", output)
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)

    return {
        "requests_per_second": round(rate, 1),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "bad_responses": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def made_from_nothing(env: dict, workdir: Path, article_paths: list[str], seconds: int) -> dict:
    """The article pages and the front page made from nothing (page and parts caches off) through gunicorn, at
    the size the archive has now: the performance issue set its targets for these on 5,000 articles."""
    figures = {}
    with gunicorn(env, page_cache=False, parts_cache=False) as base:
        for name, paths in (("article", article_paths), ("home", ["/"])):
            script = paths_script(workdir, f"made-{name}", sorted(set(paths)))
            wrk(base + "/", 1, script=script)  # each process's first requests (imports, connections) left out
            figures[name] = wrk(base + "/", seconds, script=script)
    return figures


def paths_script(workdir: Path, name: str, paths: list[str]) -> Path:
    """A wrk script that walks through many addresses, not one."""
    script = workdir / f"{name}.lua"
    quoted = ",\n".join(json.dumps(path) for path in paths)
    script.write_text(
        f"paths = {{\n{quoted}\n}}\ncounter = 0\n"
        "request = function()\n  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1])\nend\n"
    )
    return script


def signup_script(workdir: Path, newsletter_id: int) -> Path:
    script = workdir / "signup.lua"
    script.write_text(
        "threads = 0\n"
        "setup = function(thread)\n  threads = threads + 1\n"
        "  thread:set('prefix', threads .. '-' .. os.time())\nend\n"
        "counter = 0\n"
        "request = function()\n  counter = counter + 1\n"
        "  local body = 'email=signup' .. prefix .. '-' .. counter .. '%40example.org"
        f"&newsletter={newsletter_id}'\n"
        "  return wrk.format('POST', '/newsletter/', "
        "{['Content-Type'] = 'application/x-www-form-urlencoded'}, body)\nend\n"
    )
    return script


def run_measured(command: list[str], *, env: dict, stdin=None, stdout=subprocess.DEVNULL) -> dict:
    """Run a process; its wall time and its own peak RSS (from the kernel, not sampled)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdin=stdin, stdout=stdout)  # noqa: S603
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    out = process.stdout.read().decode() if process.stdout else ""
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "output": out}


EXPORT_SQL = """COPY (
  SELECT s.email, n.slug, sub.status, sub.subscribed_at, sub.confirmed_at, sub.unsubscribed_at, sub.source,
         sub.consent_version, sub.consent_text, sub.signup_ip, sub.signup_user_agent, sub.confirm_ip,
         sub.confirm_user_agent
  FROM newsletter_subscription sub
  JOIN newsletter_subscriber s ON s.id = sub.subscriber_id
  JOIN newsletter_newsletter n ON n.id = sub.newsletter_id
  ORDER BY sub.id
) TO STDOUT WITH CSV HEADER"""


def measure_export(env: dict, database_url: str) -> dict:
    python = sys.executable
    view = run_measured([python, "-m", "bench.probe", "export-view"], env=env, stdout=subprocess.PIPE)
    view_rows = json.loads(view.pop("output"))["rows"]
    command = run_measured([python, "manage.py", "export_subscribers"], env=env)
    command.pop("output")
    copy = run_measured(["psql", database_url, "-X", "-q", "-c", EXPORT_SQL], env=env)
    copy.pop("output")
    return {
        "rows": view_rows,
        "admin_view": view,
        "command": command,
        "copy_to_stdout": copy,
        "view_to_copy": round(view["seconds"] / copy["seconds"], 2),
        "command_to_copy": round(command["seconds"] / copy["seconds"], 2),
    }


def measure_import(env: dict, database_url: str, workdir: Path, rows: int) -> dict:
    csv_file = workdir / "import.csv"
    with csv_file.open("w") as out:
        out.write("email,status,subscribed_at,confirmed_at\n")
        for n in range(rows):
            day = n % 9 + 1
            out.write(f"imported{n}@example.net,active,2025-03-0{day}T08:00:00+00:00,2025-03-0{day}T08:05:00+00:00\n")
    view = run_measured(
        [sys.executable, "-m", "bench.probe", "import-view", str(csv_file)], env=env, stdout=subprocess.PIPE
    )
    created = json.loads(view.pop("output"))["created"]
    assert created == rows, (created, rows)
    with csv_file.open("rb") as data:
        copy = run_measured(
            [
                "psql",
                database_url,
                "-X",
                "-q",
                "-c",
                "CREATE TEMP TABLE copied (email text, status text, subscribed_at timestamptz, confirmed_at timestamptz)",  # noqa: E501
                "-c",
                "COPY copied FROM STDIN WITH CSV HEADER",
            ],
            env=env,
            stdin=data,
        )
    copy.pop("output")
    return {
        "rows": rows,
        "admin_view": view,
        "rows_per_second": round(rows / view["seconds"]),
        "copy_from": copy,
        "view_to_copy": round(view["seconds"] / copy["seconds"], 2),
    }


def query_plans() -> dict:
    """EXPLAIN of each public query at full size: the indexes it uses, and any sequential scan of a big table."""
    from django.db import connection
    from taggit.models import Tag

    from articles.models import Article, Author, Section
    from newsletter.models import Subscription

    article = Article.objects.order_by("?").first()
    published = Article.objects.published()
    queries = {
        "home: top stories": published.for_list().front_page_order()[:7],
        "home: latest per section": Article.objects.latest_per_section(4),
        "section page": published.in_section(Section.objects.first()).for_list().newest_first()[:12],
        "tag page": published.tagged(Tag.objects.order_by("?").first()).for_list().newest_first()[:12],
        "author page": published.by_author(Author.objects.order_by("?").first()).for_list().newest_first()[:12],
        "search": published.search(_first_search_term())[:10],
        "subscriptions by list and status": Subscription.objects.filter(newsletter_id=1, status="pending")[:100],
    }
    plans = {}
    for name, queryset in queries.items():
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = plan[0]["Plan"] if isinstance(plan, list) else json.loads(plan)[0]["Plan"]
        indexes, scans = set(), []
        _walk(plan, indexes, scans)
        plans[name] = {"indexes": sorted(indexes), "sequential_scans": scans}
    # Related news is several querysets; its ranking query is the one that matters.
    tag_ids = [tag.pk for tag in article.tags.all()]
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        Article.objects.published().related_to(article, tag_ids=tag_ids, limit=4)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {captured.captured_queries[0]['sql']}")
        plan = cursor.fetchone()[0]
    indexes, scans = set(), []
    _walk(plan[0]["Plan"] if isinstance(plan, list) else json.loads(plan)[0]["Plan"], indexes, scans)
    plans["related news"] = {"indexes": sorted(indexes), "sequential_scans": scans}
    return plans


def _first_search_term() -> str:
    from bench import seed

    return seed.search_terms(1)[0].replace("+", " ")


def _walk(node: dict, indexes: set, scans: list) -> None:
    if "Index Name" in node:
        indexes.add(node["Index Name"])
    if node.get("Node Type") == "Seq Scan" and node.get("Plan Rows", 0) > 1000:
        scans.append(f"{node['Relation Name']} (~{node['Plan Rows']:,} rows)")
    for child in node.get("Plans", []):
        _walk(child, indexes, scans)


# The run.


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="a small scale, in a few minutes")
    sizes.add_argument(
        "--smoke",
        action="store_true",
        help="every step at a tiny scale, in a minute or two, failing on any error (CI); written to smoke.json",
    )
    parser.add_argument("--show", metavar="JSON", help="print the table of a saved run and stop")
    parser.add_argument(
        "--database", help="the benchmark's own database (dropped and created), so runs side by side cannot collide"
    )
    parser.add_argument(
        "--soak-seconds", type=int, help="the soak's length (default 300 s, --quick 30 s; 0 leaves the soak out)"
    )
    parser.add_argument("--only", choices=["soak"], help="run only this part, on a database of its own")
    args = parser.parse_args()
    if args.only == "soak":
        from bench import soak

        soak.standalone(quick=args.quick, seconds=args.soak_seconds, database=args.database)
        return
    if args.show:
        try:
            print_table(json.loads(Path(args.show).read_text()))
        except (OSError, ValueError, KeyError) as exc:
            raise SystemExit(f"{args.show} is not a saved benchmark run ({exc!r}).") from None
        return
    scale_name = "smoke" if args.smoke else "quick" if args.quick else "full"
    scale = SCALES[scale_name]
    started = time.monotonic()
    require_tools()
    database = args.database or scale["database"]
    admin_url, database_url = database_urls(database)
    create_database(admin_url, database)
    host = urlsplit(database_url).hostname
    say(f"Benchmark database: {database} on {host} (dropped and created for this run)")
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    workdir.chmod(0o755)  # nginx's workers (another user when started as root) read the saved page here
    env = bench_environment(database_url, workdir, redis_url())
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)

    from articles.models import Article, Author, Section
    from bench import seed
    from newsletter.models import Newsletter

    results: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "scale": scale_name,
        "growth": {"article": {}, "search": {}, "export": {}},
        "pages": {},
        "http": {},
    }
    samples = scale["samples"]
    words = seed.search_terms(samples)

    # Growth: the same article page and search at each size.
    for target in scale["article_steps"]:
        step = time.monotonic()
        seed.add_articles(target - Article.objects.count())
        say(f"Seeded {target:,} articles ({time.monotonic() - step:.0f} s)")
        if target == scale["article_steps"][0]:
            seed.write_rendition_files()
        slugs = list(Article.objects.order_by("?").values_list("slug", flat=True)[:samples])
        results["growth"]["article"][target] = in_process([f"/articles/{slug}/" for slug in slugs])
        results["growth"]["search"][target] = in_process(
            [f"/search/?q={words[i % len(words)]}" for i in range(samples)]
        )
        if target == scale["issue_step"]:
            results["issue_size"] = {
                "articles": target,
                **made_from_nothing(env, workdir, [f"/articles/{slug}/" for slug in slugs], scale["wrk_seconds"]),
            }

    # Every public page at full size, in-process.
    articles = [f"/articles/{s}/" for s in Article.objects.order_by("?").values_list("slug", flat=True)[:samples]]
    sections = [s.get_absolute_url() for s in Section.objects.all()]
    from taggit.models import Tag

    tags = [f"/tags/{slug}/" for slug in Tag.objects.order_by("?").values_list("slug", flat=True)[:samples]]
    authors = [author.get_absolute_url() for author in Author.objects.all()]
    searches = [f"/search/?q={term}" for term in words]
    page_sets = {
        "article": articles,
        "home": ["/"] * samples,
        "section": [
            sections[i % len(sections)] + f"?page={i % scale.get('section_pages', 5) + 1}" for i in range(samples)
        ],
        "tag": tags,
        "author": [authors[i % len(authors)] for i in range(samples)],
        "search": searches,
    }
    for name, paths in page_sets.items():
        results["pages"][name] = in_process(paths)
    # Where an article page's time goes, by cProfile (bench/profile.py).
    from bench import profile

    results["profile"] = {
        f"{name}{' made from nothing' if made else ''}": profile.profile(page_sets[name][:100], made=made)
        for name in ("article", "home")
        for made in (True, False)
    }

    # Through a real server: gunicorn with every page made from nothing (page and parts caches off), made from
    # its cached parts (page cache off), and cached; beside nginx serving the saved article page.
    seconds = scale["wrk_seconds"]
    for mode in HTTP_MODES:
        cached = mode == "cached"
        with gunicorn(env, page_cache=cached, parts_cache=mode != "made") as base:
            for name, paths in page_sets.items():
                script = paths_script(workdir, name, sorted(set(paths)))
                # Each page once first: cached, or (page cache off) its parts cached, as a page made again
                # after someone else's publish finds them; made from nothing, it is no matter.
                for path in sorted(set(paths)):
                    urllib.request.urlopen(base + path).read()  # noqa: S310 (loopback)
                results["http"].setdefault(name, {})[mode] = wrk(base + "/", seconds, script=script)
            if mode == "uncached":
                with urllib.request.urlopen(base + articles[0]) as response:  # noqa: S310
                    saved_article = response.read()
            elif cached:
                # A publish into a warm cache, and under sixteen readers of the front page; Lighthouse.
                from bench import lighthouse, publish

                warm = [f"/articles/{s}/" for s in Article.objects.order_by("?").values_list("slug", flat=True)]
                say(f"Warming {scale['warm_pages']:,} article pages, then publishing one story")
                results["publish"] = publish.warm_cache_publish(base, warm[: scale["warm_pages"]])
                results["stampede"] = publish.stampede(base)
                runs = scale.get("lighthouse_runs", 3)
                results["lighthouse"] = {
                    name: lighthouse.audit(base + path, runs=runs)
                    for name, path in (("article", articles[0]), ("home", "/"))
                }
    # Through Varnish (bench/proxy.py): the cached article page beside nginx with the same bytes, and a publish
    # into a warm proxy. The app sends s-maxage and the purges go to this Varnish, as with CACHE_PROXIES.
    from bench import proxy

    varnish_port = free_port()
    proxy_env = {**env, "CACHE_PROXIES": f"http://127.0.0.1:{varnish_port}"}
    with gunicorn(proxy_env, page_cache=True) as base:
        with proxy.varnish(workdir, varnish_port, urlsplit(base).port) as proxy_url:
            results["proxy"] = proxy.throughput(proxy_url, articles[0], workdir, seconds)
            warm = [f"/articles/{s}/" for s in Article.objects.order_by("?").values_list("slug", flat=True)]
            say(f"Warming {scale['warm_pages']:,} article pages in Varnish, then publishing one story")
            results["proxy"]["publish"] = proxy.warm_publish(proxy_url, warm[: scale["warm_pages"]])
    with nginx(workdir, saved_article) as static_url:
        results["http"]["nginx"] = {
            "connection_close": wrk(static_url, seconds, close=True),
            "keep_alive": wrk(static_url, seconds),
        }
    limit = results["http"]["nginx"]["connection_close"]["requests_per_second"]
    for name in page_sets:
        for figures in results["http"][name].values():
            figures["percent_of_nginx"] = round(100 * figures["requests_per_second"] / limit, 2)
    for name in ("article", "home"):
        figures = results["issue_size"][name]
        figures["percent_of_nginx"] = round(100 * figures["requests_per_second"] / limit, 2)

    # Sign-up: POSTs per second through gunicorn, each queueing its confirmation email.
    the_daily = Newsletter.objects.get(slug="the-daily")
    with gunicorn(env, page_cache=True) as base:
        results["signup"] = wrk(base + "/newsletter/", seconds, script=signup_script(workdir, the_daily.pk))
    results["signup"]["subscriptions_made"] = the_daily.subscriptions.count()

    # Export at each size, then the import.
    for target in scale["subscription_steps"]:
        step = time.monotonic()
        seed.add_subscriptions(target - the_daily.subscriptions.count(), newsletter=the_daily)
        say(f"Seeded {target:,} subscriptions ({time.monotonic() - step:.0f} s)")
        results["growth"]["export"][target] = measure_export(env, database_url)
    results["export"] = results["growth"]["export"][scale["subscription_steps"][-1]]
    results["import"] = measure_import(env, database_url, workdir, scale["import_rows"])
    results["query_plans"] = query_plans()  # now that every table is full

    # Sending an edition: two Celery workers to an SMTP sink, beside a bare smtplib loop to the same sink.
    from bench import newsletter_send

    results["newsletter_send"] = newsletter_send.measure(env=env, workdir=workdir, scale=results["scale"])

    # The soak (bench/soak.py): 200 readers and 20 sign-ups a second through gunicorn and a Celery worker.
    from bench import soak

    soak_seconds = soak.SECONDS[results["scale"]] if args.soak_seconds is None else args.soak_seconds
    if soak_seconds:
        warm_seconds = soak.WARM_SECONDS[results["scale"]]
        results["soak"] = soak.measure(env=env, workdir=workdir, seconds=soak_seconds, warm_seconds=warm_seconds)
    results["seconds"] = round(time.monotonic() - started)

    RESULTS.mkdir(parents=True, exist_ok=True)
    saved = RESULTS / ("smoke.json" if args.smoke else "latest.json")  # a smoke never replaces a measured run
    saved.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results, saved)
    shutil.rmtree(workdir, ignore_errors=True)
    if args.smoke and (failures := smoke_failures(results)):
        raise SystemExit("The benchmark's smoke failed:\n  " + "\n  ".join(failures))


def smoke_failures(r: dict) -> list[str]:
    """What went wrong in a run, whatever its speed: error answers, a publish that did not show, a step left out."""
    failures = []
    for name, modes in r["http"].items():
        for mode, figures in modes.items():
            if figures.get("bad_responses") or figures.get("socket_errors"):
                failures.append(f"http {name} {mode}: {figures['bad_responses']} bad, {figures['socket_errors']!r}")
    for name, figures in r["issue_size"].items():
        if isinstance(figures, dict) and (figures.get("bad_responses") or figures.get("socket_errors")):
            failures.append(f"{name} made at {r['issue_size']['articles']}: {figures}")
    if r["signup"]["bad_responses"] or r["signup"]["socket_errors"]:
        failures.append(f"sign-up: {r['signup']['bad_responses']} bad, {r['signup']['socket_errors']!r}")
    if r["publish"]["pages_not_showing_it"]:
        failures.append(f"publish into a warm cache: not shown on {r['publish']['pages_not_showing_it']}")
    if r["stampede"]["errors"] or not r["stampede"]["shown_after"]:
        failures.append(f"stampede: {r['stampede']}")
    warm = r["proxy"]["publish"]
    if not (warm["front_shows_it"] and warm["section_shows_it"] and warm["story_page"] == 200):
        failures.append(f"publish through Varnish: {warm}")
    if shutil.which("npm") or shutil.which("chromium"):  # Lighthouse is left out only where it cannot run
        failures += [f"lighthouse {name}: no report" for name, audit in r["lighthouse"].items() if audit is None]
    for name in ("export", "import", "newsletter_send", "query_plans"):
        if not r.get(name):
            failures.append(f"{name}: no figures")
    soak = r.get("soak")
    if soak is None or "skipped" in soak:
        failures.append(f"soak: {soak and soak['skipped']!r}")
    elif soak.get("errors") or soak.get("server_errors"):
        failures.append(f"soak: {soak.get('errors')} {soak.get('server_errors')}")
    return failures


def machine() -> dict:
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            platform.processor(),
        ),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def print_targets(r: dict) -> None:
    """The performance issue's targets, as ratios in this run."""
    http = r["http"]
    rows = []
    if issue := r.get("issue_size"):  # the size the issue measured on (older saved runs have none)
        size = f"{issue['articles']:,} articles"
        rows += [
            (f"article made from nothing, {size} >= 1% of nginx", issue["article"]["percent_of_nginx"], 1.0),
            (f"home made from nothing, {size} >= 0.6% of nginx", issue["home"]["percent_of_nginx"], 0.6),
        ]
    elif "made" in http["article"]:  # runs before 7 December 2026 did not make pages from nothing
        rows += [
            ("article page made from nothing >= 1% of nginx", http["article"]["made"]["percent_of_nginx"], 1.0),
            ("home page made from nothing >= 0.6% of nginx", http["home"]["made"]["percent_of_nginx"], 0.6),
        ]
    rows += [
        ("uncached article page >= 1.6% of nginx", http["article"]["uncached"]["percent_of_nginx"], 1.6),
        ("uncached home page >= 1% of nginx", http["home"]["uncached"]["percent_of_nginx"], 1.0),
        ("cached article page >= 20% of nginx", http["article"]["cached"]["percent_of_nginx"], 20.0),
    ]
    if publish := r.get("publish"):
        rows.append((f"hits after a publish, {publish['pages']:,} warm pages >= 99%", publish["hit_rate_percent"], 99))
    if through_proxy := r.get("proxy"):
        rows.append(("cached article page via Varnish >= 80% of nginx", through_proxy["percent_of_nginx"], 80))
        warm = through_proxy["publish"]
        rows.append((f"Varnish hits after a publish, {warm['pages']:,} pages >= 99%", warm["hit_rate_percent"], 99))
    say("")
    for label, value, target in rows:
        say(f"target: {label:<52} {value:>8}%  {'met' if value >= target else 'MISSED'}")
    if publish:
        shown = "all" if not publish["pages_not_showing_it"] else f"not {', '.join(publish['pages_not_showing_it'])}"
        say(f"  it showed at once on {shown} of its {publish['pages_to_show_it']} pages (front, section, tags, …)")
    if through_proxy:
        warm = through_proxy["publish"]
        varnish_rate = through_proxy["varnish"]["requests_per_second"]
        nginx_rate = through_proxy["nginx_keep_alive"]["requests_per_second"]
        say(
            f"  through Varnish: {varnish_rate:,.0f} req/s against nginx's {nginx_rate:,.0f} "
            f"(same {through_proxy['page_bytes_gzip']:,} "
            f"gzip bytes, keep-alive); after the publish {warm['made_again']} of {warm['pages']:,} pages made again, "
            f"publish and purge {warm['publish_and_purge_seconds']} s, front {warm['front_shows_it']}, "
            f"section {warm['section_shows_it']}"
        )
    if stampede := r.get("stampede"):
        renders = stampede["renders_after_publish"]
        say(
            f"target: front page made at most twice in a publish under {stampede['readers']} readers: made {renders}x "
            f"({stampede['stale_answers']} earlier copies, {stampede['errors']} errors, "
            f"{stampede['answers_after_publish']} answers)  {'met' if renders <= 2 else 'MISSED'}"
        )
    for name, audit in (r.get("lighthouse") or {}).items():
        if audit is None:
            say(f"lighthouse {name}: not run (npm or Chromium missing)")
            continue
        scores = ", ".join(f"{k} {v}" for k, v in audit["scores"].items())
        runs = "/".join(str(p) for p in audit["performance_runs"])
        say(f"lighthouse {name} (mobile, median of {len(audit['performance_runs'])}; performance {runs}): {scores}")
        for failing in audit["failing"]:
            say(f"  not passed: {failing}")
    for name, figures in (r.get("profile") or {}).items():
        shares = ", ".join(f"{k} {v}" for k, v in figures["ms_per_request_profiled"].items())
        say(f"profile {name}: {figures['calls_per_request']:,} Python calls a request; under cProfile, ms: {shares}")


def print_table(r: dict, saved: Path = RESULTS / "latest.json") -> None:
    nginx_close = r["http"]["nginx"]["connection_close"]["requests_per_second"]
    nginx_keep = r["http"]["nginx"]["keep_alive"]["requests_per_second"]
    say("")
    say(f"Newsroom benchmark, {r['scale']} scale, {r['date']}, {r['machine']['cpus']} CPUs ({r['machine']['cpu']})")
    say(
        f"Limit: nginx serving the saved article page: {nginx_close:,.0f} req/s with Connection: close, "
        f"{nginx_keep:,.0f} with keep-alive"
    )
    say("")
    say("In-process, page cache off: 'made' with every part made afresh, 'median' with the parts cached.")
    say("Through gunicorn: 'made' from nothing, 'uncached' from the cached parts, 'cached' from the page cache.")
    modes = [mode for mode in HTTP_MODES if mode in r["http"]["article"]]
    columns = [("page", -9), ("queries", 9), ("made ms", 9), ("median ms", 10), ("p95 ms", 8)]
    for mode in modes:
        columns += [(f"{mode} r/s", 13), ("%", 7), ("p50/p99 ms", 12)]
    say("".join(f"{label:<{-width}}" if width < 0 else f"{label:>{width}}" for label, width in columns))
    for name, figures in r["pages"].items():
        queries = f"{figures['queries']}/{figures.get('queries_from_parts', figures['queries'])}"
        made = figures.get("median_ms_parts_made", "")
        row = [name.ljust(9), f"{queries:>9}", f"{made:>9}", f"{figures['median_ms']:>10}", f"{figures['p95_ms']:>8}"]
        for mode in modes:
            http = r["http"][name][mode]
            latency = f"{http['p50_ms']:.0f}/{http['p99_ms']:.0f}"
            row += [f"{http['requests_per_second']:>13,.0f}", f"{http['percent_of_nginx']:>6}%", f"{latency:>12}"]
        say("".join(row))
    say("(queries: the page made from nothing / the page from its cached parts)")
    print_targets(r)
    say("")
    say(f"{'growth':<28}" + "".join(f"{int(size):>12,}" for size in r["growth"]["article"]))
    say(f"{'article queries':<28}" + "".join(f"{f['queries']:>12}" for f in r["growth"]["article"].values()))
    say(f"{'article median ms':<28}" + "".join(f"{f['median_ms']:>12}" for f in r["growth"]["article"].values()))
    say(f"{'search p95 ms':<28}" + "".join(f"{f['p95_ms']:>12}" for f in r["growth"]["search"].values()))
    say("")
    for size, e in r["growth"]["export"].items():
        say(
            f"export {int(size):>9,} rows: admin view {e['admin_view']['seconds']:.2f} s "
            f"({e['admin_view']['peak_rss_mb']} MB), "
            f"command {e['command']['seconds']:.2f} s ({e['command']['peak_rss_mb']} MB), "
            f"COPY {e['copy_to_stdout']['seconds']:.2f} s: {e['view_to_copy']}x / {e['command_to_copy']}x COPY"
        )
    i = r["import"]
    say(
        f"import {i['rows']:,} rows: {i['admin_view']['seconds']:.2f} s = {i['rows_per_second']:,} rows/s "
        f"({i['admin_view']['peak_rss_mb']} MB), COPY FROM {i['copy_from']['seconds']:.2f} s: {i['view_to_copy']}x COPY"
    )
    s = r["signup"]
    rate, p99, bad = s["requests_per_second"], s["p99_ms"], s["bad_responses"]
    say(f"sign-up POST: {rate:,.0f} req/s (p99 {p99} ms, {bad} bad responses)")
    say("")
    for name, plan in r["query_plans"].items():
        scans = "; sequential scans: " + ", ".join(plan["sequential_scans"]) if plan["sequential_scans"] else ""
        say(f"EXPLAIN {name}: {', '.join(plan['indexes']) or 'no index'}{scans}")
    if "newsletter_send" in r:
        say("")
        from bench import newsletter_send

        newsletter_send.print_section(r["newsletter_send"])
    if "soak" in r:
        say("")
        from bench import soak

        soak.print_section(r["soak"])
    say(f"\nWritten to {saved.relative_to(ROOT)} ({r['seconds']} s in all)")


if __name__ == "__main__":
    main()
