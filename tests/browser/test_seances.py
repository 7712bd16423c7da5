"""A séance in Chromium (issue 12, §2): the secretariat creates it, puts two dossiers on its
agenda at once and downloads the ordre du jour; on the séance's day the commission works the
agenda in order from the séance's page and downloads the procès-verbal. The PDFs are read back
(pypdf); axe finds no serious or critical violation on the séance pages."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from engine.core.clock import PARIS
from tests.browser.conftest import login
from tests.browser.test_accessibility import violations
from tests.clock import has_pending_timer, pass_time_until
from tests.dossiers import data_of, walk_until
from tests.support import Browser


def sign_in_as(page: Page, server: str, email: str) -> None:
    page.context.clear_cookies()
    login(page, server, email)


def pdf_text(path: str) -> str:
    reader = PdfReader(io.BytesIO(Path(path).read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_seance_prepared_in_bulk_then_worked_through(
    page: Page, live_server: str, app: Flask, browser_factory: Callable[[], Browser]
) -> None:
    walkers = [walk_until(browser_factory, "inscrire_ordre_du_jour") for _ in range(2)]
    references = [walker.reference or "" for walker in walkers]
    day = (datetime.now(UTC) + timedelta(days=21)).astimezone(PARIS).date()

    # The secretariat creates the séance.
    sign_in_as(page, live_server, "recevabilite@example.org")
    page.goto(f"{live_server}/seances/")
    assert violations(page) == [], "the séances' list"
    page.get_by_role("link", name="Nouvelle séance").click()
    page.get_by_role("button", name="Créer la séance").click()
    expect(page.locator("main")).to_contain_text("Indiquez la date de la séance")
    assert violations(page) == [], "the new séance's form with its errors"
    page.locator("#date").fill(day.isoformat())
    page.locator("#heure").fill("14:00")
    page.locator("#lieu").fill("Salle Duquesne, 14 avenue Duquesne, Paris")
    page.get_by_role("button", name="Créer la séance").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Séance créée")
    assert violations(page) == [], "a new séance's page"

    # Both dossiers on its agenda at once.
    for reference in references:
        page.get_by_label(reference, exact=False).check(force=True)
    page.get_by_role("button", name="Inscrire à l'ordre du jour").click()
    result = page.locator("#resultat")
    expect(result).to_contain_text("2 dossier(s) inscrit(s), 0 refusé(s)")
    agenda = page.locator("#ordre-du-jour + .fr-table")
    for reference in references:
        expect(agenda).to_contain_text(reference)
    assert violations(page) == [], "the séance's page after a bulk inscription"

    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger l'ordre du jour (PDF)").click()
    text = pdf_text(download.value.path())
    assert "Ordre du jour de la séance du" in text
    assert all(reference in text for reference in references)

    # The séance's day: Délibérer opens for both.
    sessions = app.extensions["db_sessions"]
    pass_time_until(sessions, walkers[0].dossier_id, "attendre_seance")
    assert not has_pending_timer(sessions, walkers[1].dossier_id, "attendre_seance")

    # The commission works the agenda in order from the séance's page.
    sign_in_as(page, live_server, "commission@example.org")
    page.goto(f"{live_server}/seances/")
    page.get_by_role("link", name=f"Séance du {day.day}", exact=False).first.click()
    seance_url = page.url
    deliberation = data_of("favorable", "deliberer")
    for reference in references:
        page.get_by_role("link", name=f"Délibérer sur {reference}").click()
        page.get_by_role("button", name="Prendre en charge").click()
        page.get_by_label("Avis favorable").check(force=True)
        page.get_by_label("A – obligation réglementaire").check(force=True)
        page.get_by_label("Durée du recensement (en années)").fill(
            str(deliberation["duree_annees"])
        )
        page.get_by_label("Motivation").fill(deliberation["motivation"])
        page.get_by_role("button", name="Enregistrer l'avis").click()
        page.wait_for_url(f"{seance_url}#ordre-du-jour")
        expect(page.locator("#ordre-du-jour + .fr-table")).to_contain_text(
            "Délibéré : Avis favorable"
        )
    assert violations(page) == [], "the séance's page, agenda worked through"

    page.get_by_role("link", name="Procès-verbal").click()
    expect(page.locator("main")).to_contain_text("2 dossier(s) délibéré(s) sur 2")
    assert violations(page) == [], "the procès-verbal"
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le procès-verbal (PDF)").click()
    text = pdf_text(download.value.path())
    assert "Procès-verbal de la séance du" in text
    assert text.count("Avis favorable") == 2
    assert all(reference in text for reference in references)
