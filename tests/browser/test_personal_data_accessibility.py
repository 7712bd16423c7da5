"""axe-core on the pages of this subject: *Mon compte* (with the download of one's data), an
account's deletion's confirmation, and the staff dossier page with its trail's downloads — no
serious or critical violation."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Organisation, User
from engine.studio.scenario import load_scenarios, run
from engine.workflow.documents import DocumentStore
from tests.browser.conftest import login
from tests.browser.test_accessibility import PROCESS, violations


def test_mon_compte_and_the_deletion_confirmation(
    page: Page, live_server: str, session: Session
) -> None:
    login(page, live_server, "demandeur@example.org")
    page.goto(f"{live_server}/compte/")
    assert "Télécharger mes données (JSON)" in page.inner_text("main")
    assert violations(page) == [], "/compte/"

    user_id = session.scalar(select(User.id).where(User.email == "rapporteur2@example.org"))
    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server}/admin/comptes/{user_id}/supprimer")
    assert "Cette suppression est définitive." in page.inner_text("main")
    assert violations(page) == [], "confirmation"


def test_the_staff_dossier_page_with_its_trail_downloads(
    page: Page, live_server: str, session: Session, upload_dir: Path
) -> None:
    scenario = next(s for s in load_scenarios(PROCESS) if s.name == "favorable")
    organisations = {org.kind: org for org in session.scalars(select(Organisation))}
    result = run(session, DocumentStore(upload_dir), scenario, organisations)
    assert result.passed and result.instance_id is not None
    instance_id = result.instance_id
    session.commit()
    login(page, live_server, "recevabilite@example.org")
    page.goto(f"{live_server}/instruction/dossiers/{instance_id}")
    assert page.locator("a[href$='/journal.csv']").count() == 1
    assert violations(page) == [], "dossier"
