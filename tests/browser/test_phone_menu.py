"""On a phone (375 px) the header's tools and navigation live in the DSFR's menu: a signed-in
user opens it and signs out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import login, report_csp_violations
from tests.browser.test_accessibility import violations


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="fr-FR", viewport={"width": 375, "height": 740})
    blocked = report_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not blocked, "\n".join(blocked)


def test_a_signed_in_user_signs_out_on_a_phone(phone: Page, live_server: str) -> None:
    login(phone, live_server, "demandeur@example.org")
    header = phone.locator("header .fr-header__tools-links")
    expect(header.get_by_role("button", name="Se déconnecter")).to_be_hidden()
    menu = phone.locator("#menu-principal")
    expect(menu.get_by_role("button", name="Se déconnecter")).to_be_hidden()

    phone.get_by_role("button", name="Menu").click()
    expect(menu.get_by_role("link", name="Mes demandes")).to_be_visible()
    assert violations(phone) == [], "menu open"
    menu.get_by_role("button", name="Se déconnecter").click()
    phone.wait_for_load_state()

    phone.get_by_role("button", name="Menu").click()
    expect(menu.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(menu.get_by_role("button", name="Se déconnecter")).to_have_count(0)


def test_without_javascript_the_menu_shows_in_the_page(chromium: Browser, live_server: str) -> None:
    context = chromium.new_context(
        locale="fr-FR", viewport={"width": 375, "height": 740}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{live_server}/connexion")
    expect(page.locator("#menu-principal").get_by_role("link", name="Se connecter")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    context.close()
