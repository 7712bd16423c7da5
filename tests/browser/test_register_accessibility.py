"""axe-core on the public register: the search page with results (filters, pages) and a fiche,
without signing in — no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from tests.browser.conftest import login
from tests.browser.test_accessibility import violations
from tests.integration.test_register_public import add_entry, at


@pytest.fixture
def register(session: Session) -> None:
    previous = add_entry(
        session,
        "INV00001",
        "Habilitation électrique des opérateurs",
        categorie="A",
        certifiers=[("Électro Sécurité Formation", "12345678900012")],
        content={"competences_attestees": "Consigner une installation", "codes_rome": "I1309"},
        date_decision=at("14/03/2018"),
        debut_validite=at("15/03/2018"),
        fin_validite=at("15/03/2024"),
        statut="echue",
        statut_change_le=at("16/03/2024"),
    )
    for number in range(2, 46):
        add_entry(
            session,
            f"INV{number:05d}",
            f"Habilitation électrique, niveau {number}",
            categorie="ABC"[number % 3],
            certifiers=[("Électro Sécurité Formation", None), ("Volt Campus", None)],
            content={"competences_attestees": "Intervenir en sécurité", "mandat": True},
            date_decision=at(f"{number % 28 + 1:02d}/03/2024"),
            fin_validite=at("15/03/2030"),
            precedente_id=previous.id if number == 2 else None,
            autorite_legitime=f"CPNE n° {number % 4}",
        )
    session.commit()


def test_search_page_with_results(page: Page, live_server: str, register: None) -> None:
    page.goto(f"{live_server}/registre?q=electrique&page=2")
    assert "45 certifications trouvées" in page.inner_text("main")
    assert violations(page) == [], "search, page 2"
    # The form, used as a visitor does: a filter, then the search button.
    page.select_option("#categorie", "A")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "16 certifications trouvées" in page.inner_text("main")
    assert violations(page) == [], "search with a filter"
    page.goto(f"{live_server}/registre?q=introuvable")
    assert "Aucune certification trouvée" in page.inner_text("main")
    assert violations(page) == [], "no result"


def test_fiche_page(page: Page, live_server: str, register: None) -> None:
    page.goto(f"{live_server}/registre?q=INV00001")
    page.click("text=Habilitation électrique des opérateurs")
    page.wait_for_url("**/registre/INV00001")
    main = page.inner_text("main")
    assert "Certification échue depuis le 16/03/2024" in main  # the day after its end date
    assert "Renouvelée par\u00a0: INV00002" in main
    assert violations(page) == [], "fiche"
    page.goto(f"{live_server}/registre/INV00002")
    assert "Certification précédente\u00a0: INV00001" in page.inner_text("main")
    assert violations(page) == [], "fiche with a previous one"
    page.goto(f"{live_server}/registre/INV99999")
    assert "Aucune certification ne porte le numéro «\u00a0INV99999\u00a0»" in page.inner_text(
        "main"
    )
    assert violations(page) == [], "404"


def test_fiche_with_the_commission_s_button_and_the_retrait_form(
    page: Page, live_server: str, register: None
) -> None:
    login(page, live_server, "commission@example.org")
    page.goto(f"{live_server}/registre/INV00002")
    assert "Engager un retrait" in page.inner_text("main")
    assert violations(page) == [], "fiche, signed in as the commission"
    page.click("text=Engager un retrait")
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "Engager le retrait" in main and "Motif du retrait envisagé" in main
    assert violations(page) == [], "the retrait's first form"
