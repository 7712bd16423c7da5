"""The worklists in Chromium (issue 12, §3): the secretariat filters *Tous les dossiers* and its
Bannette, selects dossiers and reassigns them in bulk, and reads the report; axe finds no
serious or critical violation on the lists, the bulk action's form and its report."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from tests.browser.test_accessibility import violations
from tests.dossiers import walk_until
from tests.support import Browser


def test_filter_the_lists_then_reassign_in_bulk(
    page: Page, live_server: str, browser_factory: Callable[[], Browser]
) -> None:
    first = walk_until(browser_factory, "instruire_demande", organisation="ministere")
    second = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    other = walk_until(browser_factory, "examiner_recevabilite", organisation="organisation_cncp")
    login(page, live_server, "recevabilite@example.org")

    # The Bannette: the secretariat's own tasks, filtered by a word of the reference.
    page.goto(f"{live_server}/instruction/")
    page.get_by_label("Rechercher").fill(str(other.reference))
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    expect(page.locator("table")).to_contain_text(str(other.reference))
    assert f"q={other.reference}" in page.url
    assert violations(page) == [], "the Bannette filtered"

    # Tous les dossiers: those at the rapporteur's step, nearest due date first.
    page.goto(f"{live_server}/instruction/dossiers")
    page.get_by_label("Étape").select_option("instruire_demande")
    page.get_by_label("Tri").select_option("echeance")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    table = page.locator("table")
    expect(table).to_contain_text(str(first.reference))
    expect(table).to_contain_text(str(second.reference))
    expect(table).not_to_contain_text(str(other.reference))
    assert violations(page) == [], "Tous les dossiers filtered"

    # Every dossier of the page ticked, then « Réattribuer… ».
    page.get_by_role("link", name="Tout sélectionner sur cette page").click()
    page.wait_for_load_state()
    expect(page.get_by_label(f"Sélectionner {first.reference}")).to_be_checked()
    expect(page.get_by_label(f"Sélectionner {second.reference}")).to_be_checked()
    page.get_by_role("button", name="Réattribuer…").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("2 dossiers sélectionnés")
    assert violations(page) == [], "the bulk action's form"
    page.get_by_role("button", name="Réattribuer (2)").click()
    page.wait_for_load_state()
    expect(page.locator("#utilisateur-erreur")).to_contain_text("Choisissez une personne")
    page.get_by_label("Réattribuer à").select_option(label="Rachida Rapporteure")
    page.get_by_role("button", name="Réattribuer (2)").click()
    page.wait_for_load_state()
    main = page.locator("main")
    expect(main).to_contain_text("2 dossiers traités, 0 refusé.")
    expect(main).to_contain_text("réattribuée à Rachida Rapporteure")
    assert violations(page) == [], "the bulk action's report"
