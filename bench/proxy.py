"""The caching proxy (`make bench`, bench/run.py): Varnish with deploy/varnish/newsroom.vcl in front of gunicorn.

- Throughput: the cached article page through Varnish, and in the same run nginx serving the very same bytes
  (the page as Varnish sends it, gzip-compressed) from disk, both with keep-alive and `Accept-Encoding: gzip`,
  as browsers ask. Target: Varnish at least 80% of nginx.
- A publish into a warm proxy: every sampled article page is fetched through Varnish until it keeps it; one
  story is published here, through the service the admin calls, and its keys are purged from Varnish (tasks
  run in this process); then every page is fetched again. The share still answered by Varnish (X-Cache: HIT)
  is the hit rate; each MISS is a page made again.
"""

import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bench import publish

ROOT = Path(__file__).resolve().parent.parent
VCL = ROOT / "deploy" / "varnish"
GZIP = {"Accept-Encoding": "gzip"}


def fetch(url: str, headers=None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status, response.headers.get("X-Cache", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Cache", ""), b""


def fetch_all(base: str, paths: list[str], workers: int = 8) -> list[tuple[int, str]]:
    """Status and X-Cache of each page, eight at a time (the bodies are not kept)."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda path: fetch(base + path)[:2], paths))


def answers(url: str) -> bool:
    try:
        return fetch(url)[0] == 200
    except OSError:
        return False


@contextmanager
def varnish(workdir: Path, port: int, backend_port: int):
    """varnishd on loopback with our VCL, its backend the gunicorn on `backend_port`; stopped by its pid."""
    folder = workdir / "varnish"
    folder.mkdir(exist_ok=True)
    backends = (VCL / "backends.vcl.example").read_text()
    backends = backends.replace('"8001"', f'"{backend_port}"').replace('"8002"', f'"{backend_port}"')
    (folder / "backends.vcl").write_text(backends)
    log = (folder / "varnishd.log").open("w")
    process = subprocess.Popen(
        [shutil.which("varnishd") or "/usr/sbin/varnishd", "-F", "-j", "none", "-n", str(folder / "work")]
        + ["-a", f"127.0.0.1:{port}", "-T", "none", "-p", f"vcl_path={folder}:{VCL}"]
        + ["-f", str(VCL / "newsroom.vcl"), "-s", "malloc,1g"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not answers(url + "/healthz"):  # the VCL loaded, and its probes found gunicorn up
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"Varnish did not start:\n{(folder / 'varnishd.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def throughput(proxy_url: str, article: str, workdir: Path, seconds: int, rounds: int = 3) -> dict:
    """Varnish and nginx in turn, `rounds` times each (the two share this machine's cores with wrk, so one run
    of each would compare two moments as much as two servers); the median run of each is compared."""
    from bench.run import nginx, wrk

    status, _, body = fetch(proxy_url + article, GZIP)
    assert status == 200 and body[:2] == b"\x1f\x8b", "Varnish did not send the article page gzip-compressed"
    assert fetch(proxy_url + article, GZIP)[1] == "HIT"
    runs = {"varnish": [], "nginx_keep_alive": []}
    with nginx(workdir, body, gzipped=True) as static_url:
        for _ in range(rounds):
            runs["varnish"].append(wrk(proxy_url + article, seconds, headers=GZIP))
            runs["nginx_keep_alive"].append(wrk(static_url, seconds, headers=GZIP))
    median = {
        name: sorted(figures, key=lambda run: run["requests_per_second"])[len(figures) // 2]
        for name, figures in runs.items()
    }
    ratio = median["varnish"]["requests_per_second"] / median["nginx_keep_alive"]["requests_per_second"]
    return {
        "page_bytes_gzip": len(body),
        **median,
        "runs_requests_per_second": {
            name: [r["requests_per_second"] for r in figures] for name, figures in runs.items()
        },
        "percent_of_nginx": round(100 * ratio, 1),
    }


def warm_publish(proxy_url: str, paths: list[str]) -> dict:
    """Hit rate and pages made again through Varnish when one story is published into a warm proxy."""
    from django.conf import settings

    from newsroom.celery import app

    warm = fetch_all(proxy_url, paths)
    assert all(status == 200 for status, _ in warm), "a page could not be warmed"
    kept = fetch_all(proxy_url, paths)
    assert sum(cache == "HIT" for _, cache in kept) == len(paths), "Varnish did not keep every warmed page"

    article, editor = publish.new_story("Proxy bench: a story published into a warm proxy")
    saved = settings.CACHE_PROXIES, app.conf.task_always_eager
    settings.CACHE_PROXIES, app.conf.task_always_eager = [proxy_url], True  # the purge tasks run here
    try:
        started = time.monotonic()
        publish.publish(article, editor)
        purged_in = time.monotonic() - started
    finally:
        settings.CACHE_PROXIES, app.conf.task_always_eager = saved

    after = fetch_all(proxy_url, paths)
    hits = sum(cache == "HIT" for _, cache in after)
    front = fetch(proxy_url + "/")
    section = fetch(proxy_url + article.section.get_absolute_url())
    return {
        "pages": len(paths),
        "hits_after_publish": hits,
        "hit_rate_percent": round(100 * hits / len(paths), 2),
        "made_again": len(paths) - hits,
        "publish_and_purge_seconds": round(purged_in, 3),
        "front_shows_it": article.headline.encode() in front[2],
        "section_shows_it": article.headline.encode() in section[2],
        "story_page": fetch(proxy_url + article.get_absolute_url())[0],
    }
