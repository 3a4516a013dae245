"""The benchmark still runs: every step of `make bench` at a tiny scale (`python -m bench.run --smoke`), so a
change to the schema or to a page cannot break it unnoticed. On PostgreSQL only (the benchmark seeds with COPY);
it makes and drops a database of its own beside the test database, named after it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench import seed

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
TOOLS = ("wrk", "nginx", "varnishd", "psql")


@pytest.mark.skipif(
    urlsplit(DATABASE_URL).scheme not in {"postgres", "postgresql"},
    reason="the benchmark runs on PostgreSQL only (set DATABASE_URL=postgres://…, as CI's second run does)",
)
def test_every_step_of_the_benchmark_runs_at_a_tiny_scale():
    missing = [tool for tool in TOOLS if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists())]
    if missing and os.environ.get("CI") != "true" and os.geteuid() != 0:
        pytest.skip(f"the benchmark needs {', '.join(missing)} (it installs them when run as root)")
    url = urlsplit(DATABASE_URL)
    database = f"{url.path.lstrip('/') or 'newsroom'}_bench_smoke"
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    environ["DATABASE_URL"] = urlunsplit(url._replace(path="/postgres"))

    try:
        run = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.run", "--smoke", "--database", database],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        import psycopg

        with psycopg.connect(environ["DATABASE_URL"], autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    assert "Written to bench/results/smoke.json" in run.stdout


def test_the_seeding_names_a_column_it_does_not_fill():
    """A column added to a model stops the seeding with its name, rather than failing deep in COPY or being
    left empty unnoticed (bench/seed.py)."""
    from articles.models import Byline

    with pytest.raises(seed.SeedDrift, match="without author_id, order"):
        seed._copy(Byline, [{"article_id": 1}])
    with pytest.raises(seed.SeedDrift, match="unknown position"):
        seed._copy(Byline, [{"article_id": 1, "author_id": 1, "order": 0, "position": 2}])
