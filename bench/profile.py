"""Where an uncached public page's time goes: `python -m bench.profile [--articles N] [--page NAME] [--made]`.

Seeds (or reuses) a PostgreSQL database of its own with N articles (default 5,000) as `make bench` does, then
for each public page renders the same addresses with the page cache off, in-process, timed made from nothing
(PARTS_CACHE=0) and from their cached parts, then under cProfile (from the cached parts, or with `--made` from
nothing), and prints per request: the median times, the Python function calls, and where the time
goes, split into the ORM, the template engine, URL reversing and the rest, with the costliest functions.
`make bench` prints the same breakdown for the article page (bench/README.md records one).
"""

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Where a function lives, by its file: the first matching part names its share.
SHARES = [
    ("urls (reverse)", ("django/urls/",)),
    ("templates", ("django/template/", "jinja2/", "/templatetags/", "django/utils/html.py", "django/utils/safestring")),
    ("ORM", ("django/db/", "psycopg/", "psycopg_binary")),
    ("cache", ("django/core/cache/", "redis/", "newsroom/freshness.py", "newsroom/redis_cache.py")),
]


def share_of(filename: str) -> str:
    for name, parts in SHARES:
        if any(part in filename for part in parts):
            return name
    return "other"


def pages(samples: int) -> dict[str, list[str]]:
    from taggit.models import Tag

    from articles.models import Article, Author, Section
    from bench import seed

    slugs = list(Article.objects.published().order_by("?").values_list("slug", flat=True)[:samples])
    sections = [section.get_absolute_url() for section in Section.objects.all()]
    tags = list(Tag.objects.order_by("?").values_list("slug", flat=True)[:samples])
    authors = [author.get_absolute_url() for author in Author.objects.order_by("?")[:samples]]
    words = seed.search_terms(samples)
    return {
        "article": [f"/articles/{slug}/" for slug in slugs],
        "home": ["/"] * samples,
        "section": [sections[i % len(sections)] + f"?page={i % 5 + 1}" for i in range(samples)],
        "tag": [f"/tags/{slug}/" for slug in tags],
        "author": [authors[i % len(authors)] for i in range(samples)],
        "search": [f"/search/?q={words[i % len(words)]}" for i in range(samples)],
    }


def profile(paths: list[str], *, top: int = 12, made: bool = False) -> dict:
    """Median ms per request with every part made afresh (PARTS_CACHE=0) and with the parts cached (page cache
    off); then, under cProfile, the pages from their cached parts (`made`: made from nothing): function calls
    per request, and each share's ms per request."""
    from django.test import Client
    from django.test.utils import override_settings

    from bench.run import timed

    client = Client(HTTP_HOST="127.0.0.1")
    with override_settings(PAGE_CACHE=False):
        cold = timed(client, paths, parts_cache=False)
        timed(client, sorted(set(paths)), parts_cache=True)  # each page's parts made and kept
        warm = timed(client, paths, parts_cache=True)
        profiler = cProfile.Profile()
        with override_settings(PARTS_CACHE=not made):
            profiler.enable()
            for path in paths:
                client.get(path)
            profiler.disable()
    stats = pstats.Stats(profiler)
    shares: dict[str, float] = {}
    calls = 0
    functions = []
    for (filename, line, name), (_cc, ncalls, tottime, _cumtime, _callers) in stats.stats.items():
        calls += ncalls
        shares[share_of(filename)] = shares.get(share_of(filename), 0) + tottime
        functions.append((tottime, ncalls, f"{Path(filename).name}:{line}({name})"))
    n = len(paths)
    functions.sort(reverse=True)
    return {
        "profiled": "made from nothing" if made else "from cached parts",
        "median_ms_parts_made": round(statistics.median(cold), 2),
        "median_ms": round(statistics.median(warm), 2),
        "calls_per_request": round(calls / n),
        "ms_per_request_profiled": {k: round(v * 1000 / n, 2) for k, v in sorted(shares.items())},
        "top": [(round(t * 1000 / n, 3), round(c / n, 1), where) for t, c, where in functions[:top]],
    }


def print_profile(name: str, figures: dict) -> None:
    shares = ", ".join(f"{k} {v}" for k, v in figures["ms_per_request_profiled"].items())
    print(
        f"\n{name}: median {figures['median_ms']} ms from cached parts, {figures['median_ms_parts_made']} ms "
        f"made from nothing"
    )
    calls = figures["calls_per_request"]
    print(f"  under the profiler, {figures['profiled']}: {calls:,} calls, ms a request: {shares}")
    for ms, calls, where in figures["top"]:
        print(f"  {ms:>8.3f} ms {calls:>8} calls  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--database", default="newsroom_profile")
    parser.add_argument("--page", action="append", help="only these pages (article, home, section, …)")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--made", action="store_true", help="profile the pages made from nothing (PARTS_CACHE=0)")
    args = parser.parse_args()

    from bench.run import bench_environment, create_database, database_urls, redis_url

    admin_url, database_url = database_urls(args.database)
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.database]).fetchone()
    if not exists:
        create_database(admin_url, args.database)
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-profile-"))
    env = bench_environment(database_url, workdir, redis_url())
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    from articles.models import Article
    from bench import seed

    missing = args.articles - Article.objects.count()
    if missing > 0:
        print(f"Seeding {missing:,} articles into {args.database}")
        seed.add_articles(missing)
    for name, paths in pages(args.samples).items():
        if args.page and name not in args.page:
            continue
        print_profile(name, profile(paths, made=args.made))


if __name__ == "__main__":
    main()
