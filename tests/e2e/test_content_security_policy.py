"""The policy in the real browser: what a sanitiser slip would inject does not run, and the browser's report of it
reaches the log."""

import time

import pytest
from playwright.sync_api import Page

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)

INJECTED = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injectedRan = true";
  document.body.append(script);
  const image = document.createElement("img");
  image.setAttribute("onerror", "window.handlerRan = true");
  image.src = "/no-such-image.png";
  document.body.append(image);
  return new Promise((resolve) => setTimeout(resolve, 300));
}"""


def test_injected_inline_script_and_handlers_do_not_run_and_are_reported(
    live_server, page: Page, csp_violations, recorded
):
    log = recorded("newsroom.csp")
    article = ArticleFactory()
    page.goto(f"{live_server.url}{article.get_absolute_url()}")

    page.evaluate(INJECTED)

    assert page.evaluate("window.injectedRan") is None and page.evaluate("window.handlerRan") is None
    assert {violation["directive"] for violation in csp_violations} == {"script-src-elem", "script-src-attr"}
    deadline = time.monotonic() + 10
    while len(log.records) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any("script-src-elem" in line for line in log.lines), log.lines
    csp_violations.clear()  # seen, and wanted
