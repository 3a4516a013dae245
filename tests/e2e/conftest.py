import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but no Chromium at {CHROMIUM}: install Debian's chromium package.")
    skip = pytest.mark.skip(reason="No Chromium installed (apt-get install chromium) — browser tests skipped locally.")
    for item in items:
        if "e2e" in item.nodeid.split("/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# Every page a browser test opens reports what its Content-Security-Policy blocked: a test whose pages had
# anything blocked fails, so a widget or page that needs what the policy forbids is caught here.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => window.__cspViolation({
  directive: event.effectiveDirective, blocked: event.blockedURI, page: event.documentURI, sample: event.sample,
}));
"""


@pytest.fixture
def csp_violations() -> list[dict]:
    return []


@pytest.fixture
def context(context, csp_violations):
    context.expose_function("__cspViolation", lambda violation: csp_violations.append(violation))
    context.add_init_script(CSP_LISTENER)
    yield context
    assert not csp_violations, f"the Content-Security-Policy blocked: {csp_violations}"
