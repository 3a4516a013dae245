"""axe-core (from npm) in the real browser: no serious or critical violation on any kind of reader's page,
in light and in dark mode, nor on the sign-up form showing an error."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.reader_pages import seed_reader_pages

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe_source():
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but axe-core is not installed at {AXE}: run npm ci.")
        pytest.skip("axe-core is not installed (npm ci): the accessibility check is skipped locally.")
    return AXE


def serious_violations(page: Page, axe_source: Path) -> list[str]:
    page.evaluate(f"{axe_source.read_text()}\n;true")  # as the test's own code: the page's CSP admits no such script
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in violation["nodes"][:5]
        )
        for violation in result["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def test_the_readers_pages_pass_axe_in_light_and_dark_mode(live_server, page: Page, axe_source):
    pages = seed_reader_pages()
    problems = {}

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name, url in pages.items():
            page.goto(f"{live_server.url}{url}")
            if found := serious_violations(page, axe_source):
                problems[f"{name} ({scheme})"] = found

        page.goto(f"{live_server.url}/newsletter/")
        page.get_by_label("Email address").fill("not an address")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.locator(".field-error")).to_be_visible()
        if found := serious_violations(page, axe_source):
            problems[f"newsletter form with an error ({scheme})"] = found

    assert not problems, "\n".join(f"{name}: {issue}" for name, issues in problems.items() for issue in issues)
