"""A submitter's pages in Chromium: the page tags of *Nouvelle demande* keep what was typed, and
the dossier page says by when the complements are due."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Job, JobStatus
from tests.browser.conftest import login
from tests.browser.test_accessibility import violations
from tests.dossiers import SCENARIOS
from tests.support import Browser
from tests.walk import Walker
from web.filters import datetime_fr


def test_the_page_tags_keep_typed_input(page: Page, live_server: str) -> None:
    login(page, live_server, "demandeur@example.org")
    page.goto(f"{live_server}/demandes/")
    page.click("text=Nouvelle demande")
    page.wait_for_url("**/saisie/identification")
    page.get_by_label("Intitulé de la certification").fill("Cordiste en travaux d'accès difficile")
    page.get_by_role("button", name="4. Descriptif").click()
    page.wait_for_url("**/saisie/descriptif")
    page.get_by_label("Prérequis").fill("Avoir 18 ans.")
    page.get_by_role("button", name="1. Identification").click()
    page.wait_for_url("**/saisie/identification")
    expect(page.get_by_label("Intitulé de la certification")).to_have_value(
        "Cordiste en travaux d'accès difficile"
    )
    page.get_by_role("button", name="4. Descriptif").click()
    expect(page.get_by_label("Prérequis")).to_have_value("Avoir 18 ans.")
    assert violations(page) == [], "saisie with its tags"


def test_the_complements_deadline_is_on_the_dossier_page(
    page: Page,
    live_server: str,
    browser_factory: Callable[[], Browser],
    session: Session,
) -> None:
    walker = Walker(browser_factory, "ministere")
    for step in SCENARIOS["complements_recevabilite_puis_instruction"].steps[:2]:
        walker.step(step.task, step.data, step.timer)
    session.rollback()
    due = session.scalars(
        select(Job.run_at).where(
            Job.instance_id == walker.dossier_id,
            Job.status == JobStatus.PENDING,
            Job.payload["element"].as_string() == "delai_complements_echu",
        )
    ).one()

    login(page, live_server, "demandeur@example.org")
    page.goto(f"{live_server}/demandes/{walker.dossier_id}")
    expected = page.locator("#attendu + .fr-callout")
    expect(expected).to_contain_text("Des compléments vous sont demandés")
    expect(expected).to_contain_text(f"À faire au plus tard le {datetime_fr(due)}.")
    expect(expected).to_contain_text("« Classée sans suite »")
    assert violations(page) == [], "dossier page with a deadline"
    expected.get_by_role("link", name="Compléter la demande").click()
    expect(page.get_by_label("Votre réponse")).to_have_value("")
