"""Browser tests: Debian's Chromium driven by Playwright against a real server on a free port."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from waitress.server import create_server

CHROMIUM = os.environ.get("INVENTAIRE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


# Every page reports what the Content-Security-Policy blocked (an inline script or style, an
# eval, a foreign source): the browser fires this event, the test reads it from the console.
REPORT_CSP = """
document.addEventListener('securitypolicyviolation', (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI} ` +
                `at ${event.sourceFile}:${event.lineNumber} on ${document.location.pathname}`);
});
"""


def report_csp_violations(context: BrowserContext) -> list[str]:
    """The CSP violations of the context's pages, as the browser reports them, from now on."""
    violations: list[str] = []
    context.add_init_script(REPORT_CSP)

    def keep(message: ConsoleMessage) -> None:
        if message.text.startswith("CSP violation") or "Content Security Policy" in message.text:
            violations.append(message.text)

    context.on("console", keep)
    return violations


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    violations = report_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not violations, "\n".join(violations)


def login(page: Page, server: str, email: str) -> None:
    page.goto(f"{server}/connexion")
    page.fill("#email", email)
    page.fill("#password", "inventaire")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/connexion" not in page.url, page.url
