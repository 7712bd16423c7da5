"""The API tokens' pages in Chromium: a personal token made in *Mon compte* and shown once, the
administration's page of tokens and the API's own page — no serious or critical axe-core
violation."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.browser.conftest import login
from tests.browser.test_accessibility import violations


def test_a_token_made_in_mon_compte_is_shown_once(page: Page, live_server: str) -> None:
    login(page, live_server, "demandeur@example.org")
    page.goto(f"{live_server}/compte/")
    assert "Jetons d'accès" in page.inner_text("main")
    page.fill("#jeton-nom", "SI de la branche")
    page.click("label[for=jeton-portee-ecriture]")
    page.fill("#jeton-jours", "30")
    page.click("button:has-text('Créer le jeton')")
    secret = page.inner_text("#jeton-secret")
    assert re.fullmatch(r"inv_[A-Za-z0-9_-]{43}", secret)
    assert "il ne sera plus jamais affiché" in page.inner_text("main")
    assert violations(page) == [], "/compte/jetons"
    page.goto(f"{live_server}/compte/")
    assert secret not in page.content()
    assert "SI de la branche" in page.inner_text("main")
    assert violations(page) == [], "/compte/"


def test_the_administrations_tokens_page_and_the_api_page(page: Page, live_server: str) -> None:
    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server}/admin/jetons")
    assert "Créer un jeton pour un compte de service" in page.inner_text("main")
    assert violations(page) == [], "/admin/jetons"
    page.goto(f"{live_server}/api/v1/")
    assert "/api/v1/registre" in page.inner_text("main")
    assert violations(page) == [], "/api/v1/"
