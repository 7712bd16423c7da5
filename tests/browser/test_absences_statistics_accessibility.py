"""axe-core on the new pages: *Mes absences* (empty, with an absence, with its refusals), the
public *Statistiques* and the secretariat's *Statistiques de suivi* with figures — no serious or
critical violation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Organisation
from engine.core.substitutions import paris_today
from engine.studio.scenario import load_scenarios, run
from engine.workflow.documents import DocumentStore
from tests.browser.conftest import login
from tests.browser.test_accessibility import PROCESS, violations


def test_mes_absences(page: Page, live_server: str) -> None:
    login(page, live_server, "rapporteur@example.org")
    page.goto(f"{live_server}/absences/")
    assert violations(page) == [], "empty"
    today = paris_today()
    # A refusal: the end before the start, shown beside its field and in the summary.
    page.fill("#champ-debut", (today + timedelta(days=3)).isoformat())
    page.fill("#champ-fin", today.isoformat())
    page.select_option("#champ-suppleant", label="Rachida Rapporteure")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "La date de fin précède la date de début." in page.inner_text("main")
    assert violations(page) == [], "refused"
    page.fill("#champ-debut", today.isoformat())
    page.fill("#champ-fin", (today + timedelta(days=5)).isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Absence enregistrée" in page.inner_text("main")
    assert "En cours" in page.inner_text("main")
    assert violations(page) == [], "declared"


def test_statistics_pages(page: Page, live_server: str, session: Session, upload_dir: Path) -> None:
    scenarios = {item.name: item for item in load_scenarios(PROCESS)}
    organisations = {org.kind: org for org in session.scalars(select(Organisation))}
    for name in ("refus", "irrecevable"):
        assert run(session, DocumentStore(upload_dir), scenarios[name], organisations).passed
    session.commit()
    page.goto(f"{live_server}/statistiques")
    assert "Décisions prises en" in page.inner_text("main")
    assert violations(page) == [], "public"
    page.goto(f"{live_server}/registre")
    page.click("text=Statistiques des demandes et des décisions")
    page.wait_for_load_state()
    assert page.url.endswith("/statistiques")
    login(page, live_server, "recevabilite@example.org")
    page.goto(f"{live_server}/statistiques/suivi")
    assert "Délai médian par étape" in page.inner_text("main")
    assert violations(page) == [], "staff"
