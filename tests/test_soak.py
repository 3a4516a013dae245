"""The soak benchmark's parts (bench/soak.py), in a few seconds: its sign-up client against the real form, its
readers' list of every kind of page, and how it reads wrk's report and gunicorn's access log. The soak itself
runs with `python -m bench.run --only soak [--quick]`."""

import random
from urllib.parse import urlsplit

import pytest
from django.core import mail

from bench import soak
from newsletter.models import Subscription
from tests.factories import NewsletterFactory
from tests.reader_pages import seed_reader_pages


@pytest.mark.django_db(transaction=True)
def test_a_soak_signup_loads_the_form_and_posts_it_as_a_reader_would(live_server):
    NewsletterFactory(slug="the-daily", name="The Daily", is_default=True)
    url = urlsplit(live_server.url)
    signups = soak.Signups(url.port, "test", rate=50, host=url.hostname)
    try:
        results = signups.run(0.1)  # five sign-ups, 20 ms apart
    finally:
        signups.close()

    assert [(r["accepted"], r.get("error")) for r in results] == [(True, None)] * 5
    pending = Subscription.objects.filter(subscriber__email__startswith="soak-test-", status="pending")
    assert pending.count() == 5
    assert sorted(message.to[0] for message in mail.outbox) == sorted(f"soak-test-{n}@example.org" for n in range(5))


@pytest.mark.django_db
def test_the_readers_list_has_every_kind_of_page_and_each_answers(client):
    seed_reader_pages()
    soak.prepare()

    paths = soak.reader_paths(random.Random(1))

    assert {kind for kind, _ in paths} == {
        "home", "article", "section", "tag", "author", "speaker", "search", "feed", "sitemap", "robots",
        "newsletter", "edition", "preferences", "about",
    }  # fmt: skip
    for kind, path in sorted(set(paths)):
        assert client.get(path).status_code == 200, (kind, path)


WRK_REPORT = """Running 30s test @ http://127.0.0.1:8000/
  2 threads and 200 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.12s   512.30ms   4.77s    71.02%
    Req/Sec    60.12     30.55   180.00     68.00%
  Latency Distribution
     50%    1.11s
     75%    1.40s
     90%    1.90s
     99%    4.52s
  2328 requests in 20.02s, 60.51MB read
  Socket errors: connect 0, read 3, write 0, timeout 7
  Non-2xx or 3xx responses: 2
Requests/sec:    116.30
Transfer/sec:      3.02MB
"""


def test_wrk_report_gives_rate_latency_and_each_kind_of_error():
    figures = soak.parse_wrk(WRK_REPORT)

    assert figures == {
        "requests": 2328,
        "requests_per_second": 116.3,
        "p50_ms": 1110.0,
        "p99_ms": 4520.0,
        "max_ms": 4770.0,
        "non_2xx_3xx": 2,
        "socket_errors": {"read": 3, "timeout": 7},
    }


def test_access_log_counts_each_kind_of_page_and_its_failed_answers(tmp_path):
    log = tmp_path / "access.log"
    line = '127.0.0.1 - - [03/Dec/2026:20:00:00 +0000] "{} {} HTTP/1.1" {} 512 "-" "{}" {}ms 0123abcd\n'
    log.write_text(
        line.format("GET", "/healthz", 200, "-", 1)  # before the offset: not counted
        + line.format("GET", "/", 200, "-", 4)
        + line.format("GET", "/", 500, "-", 40)
        + line.format("GET", "/newsletter/", 200, soak.USER_AGENT, 6)
        + line.format("POST", "/newsletter/", 302, soak.USER_AGENT, 90)
        + line.format("GET", "/no-such-page/", 404, "-", 3)
    )
    offset = len(line.format("GET", "/healthz", 200, "-", 1))

    figures = soak.access_log(log, offset, {"/": "home", "/newsletter/": "newsletter"})

    assert {kind: (f["requests"], f["max_ms"], f["bad"]) for kind, f in figures.items()} == {
        "home": (2, 40, {"500": 1}),
        "sign-up form": (1, 6, {}),
        "sign-up POST": (1, 90, {}),
        "other": (1, 3, {"404": 1}),
    }


def test_memory_is_flat_within_five_megabytes_and_ten_percent():
    assert soak.is_flat(100.0, 104.9)
    assert not soak.is_flat(100.0, 105.5)  # over 5 MB
    assert soak.is_flat(26.0, 28.5)
    assert not soak.is_flat(26.0, 29.0)  # over 10%
