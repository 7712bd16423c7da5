"""axe-core on the two-factor pages: the enrolment (QR code and key, a refused code), the
recovery codes, the second step of the sign-in (a refused code) — no serious or critical
violation; the whole enrolment and sign-in done in Chromium."""

from __future__ import annotations

import pyotp
from playwright.sync_api import Page

from tests.browser.conftest import login
from tests.browser.test_accessibility import violations

STAFF = "rapporteur@example.org"


def test_two_factor_in_the_browser(page: Page, live_server: str) -> None:
    login(page, live_server, STAFF)
    page.click("text=Double authentification")
    page.wait_for_load_state()
    assert page.locator("svg.qr-code").count() == 1
    assert violations(page) == [], "enrolment"
    secret = page.inner_text("#cle-secrete").replace(" ", "")
    page.fill("#code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Code incorrect" in page.inner_text("main")
    assert violations(page) == [], "enrolment refused"
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#codes-secours li").count() == 10
    assert violations(page) == [], "recovery codes"
    recovery = page.locator("#codes-secours li").first.inner_text()

    page.click("header button:has-text('Se déconnecter'), button:has-text('Se déconnecter')")
    page.wait_for_load_state()
    page.goto(f"{live_server}/connexion")
    page.fill("#email", STAFF)
    page.fill("#password", "inventaire")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/connexion/code")
    assert violations(page) == [], "second step"
    page.fill("#code", "12345")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Code incorrect" in page.inner_text("main")
    assert violations(page) == [], "second step refused"
    page.fill("#code", recovery)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/connexion" not in page.url
    assert "code de secours" in page.inner_text("main")
