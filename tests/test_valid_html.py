"""Every kind of reader's page is valid HTML by the Nu HTML Checker (vnu.jar, from npm; it needs Java)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.text import slugify

from tests.reader_pages import seed_reader_pages

pytestmark = pytest.mark.django_db

VNU = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_checker() -> list[str]:
    java = shutil.which("java")
    missing = [
        what
        for what, found in (("Java (apt-get install default-jre-headless)", java), ("vnu.jar (npm ci)", VNU.exists()))
        if not found
    ]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the Nu HTML Checker cannot run: no {' and no '.join(missing)}.")
        pytest.skip(f"No {' and no '.join(missing)}: the HTML check is skipped locally.")
    return [java, "-jar", str(VNU)]


def test_the_readers_pages_are_valid_html(client, tmp_path):
    checker = nu_checker()
    pages = {name: client.get(url) for name, url in seed_reader_pages().items()}
    pages["newsletter form with an error"] = client.post("/newsletter/", {"email": "not an address"})
    files = {}
    for name, response in pages.items():
        assert response.status_code in {200, 400, 404}, (name, response.status_code)
        path = tmp_path / f"{slugify(name)}.html"
        path.write_bytes(response.content)
        files[path.name] = (name, path)

    result = subprocess.run(  # noqa: S603 (our own command line)
        [*checker, "--errors-only", "--format", "json", *(str(path) for _, path in files.values())],
        capture_output=True,
        text=True,
        timeout=300,
    )

    errors = json.loads(result.stderr or '{"messages": []}')["messages"]
    report = [f"{files[e['url'].rsplit('/', 1)[-1]][0]}, line {e.get('lastLine')}: {e['message']}" for e in errors]
    assert not report, "\n".join(report)
    assert result.returncode == 0
