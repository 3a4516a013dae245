"""Lighthouse (npm `lighthouse`, mobile, on Debian's Chromium) on pages served by gunicorn: the four scores and
each audit that is not passed, as a reader's phone would see them (`make bench`, bench/run.py).

Lighthouse is installed into bench/.lighthouse/ the first time (npm; not committed), and Chromium from Debian
when missing and we may (root with apt-get). Without either, the step says so and is skipped.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

VERSION = "13.5.0"
HOME = Path(__file__).resolve().parent / ".lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROMIUM = "/usr/bin/chromium"


def binary() -> Path | None:
    tool = HOME / "node_modules" / ".bin" / "lighthouse"
    if not tool.exists() and shutil.which("npm"):
        HOME.mkdir(exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(HOME),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                f"lighthouse@{VERSION}",
            ],
            check=False,
            stdout=subprocess.DEVNULL,
        )
    if not Path(CHROMIUM).exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=False)
    return tool if tool.exists() and Path(CHROMIUM).exists() else None


def audit(url: str, runs: int = 3) -> dict | None:
    """The median run's scores (by performance) and its audits scoring under 1, or None without Lighthouse."""
    tool = binary()
    if tool is None:
        return None
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="newsroom-lighthouse-") as folder:
            report = Path(folder) / "report.json"
            subprocess.run(  # noqa: S603
                [
                    str(tool),
                    url,
                    "--quiet",
                    "--form-factor=mobile",
                    "--output=json",
                    f"--output-path={report}",
                    f"--only-categories={','.join(CATEGORIES)}",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                    f"--disable-component-update --disable-sync --no-first-run --user-data-dir={folder}/profile",
                ],
                env={**os.environ, "CHROME_PATH": CHROMIUM},
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=180,
            )
            if report.exists():
                results.append(json.loads(report.read_text()))
    if not results:
        return None
    results.sort(key=lambda r: r["categories"]["performance"]["score"] or 0)
    median = results[len(results) // 2]
    return {
        "scores": {name: round(100 * (median["categories"][name]["score"] or 0)) for name in CATEGORIES},
        "performance_runs": [round(100 * (r["categories"]["performance"]["score"] or 0)) for r in results],
        "failing": sorted(
            f"{audit['id']}: {audit['title']}"
            for audit in median["audits"].values()
            if audit.get("score") is not None
            and audit["score"] < 1
            and audit.get("scoreDisplayMode") == "binary"
            or (audit.get("scoreDisplayMode") == "numeric" and (audit.get("score") or 0) < 0.9)
        ),
    }
