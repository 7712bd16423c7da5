"""axe-core on the submitter's, the reviewer's and the studio's pages: no serious or critical
violation (RGAA's automatable part)."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Organisation, WorkItem, WorkItemStatus
from engine.studio.scenario import actor_picker, load_scenarios, play_step, start
from engine.workflow.documents import DocumentStore
from tests.browser.conftest import login

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "recensement"
AXE = Axe()


def violations(page: Page) -> list[str]:
    results = AXE.run(page)
    found = results.response["violations"]
    return [
        f"{item['id']} ({item['impact']}): {item['help']} — "
        + "; ".join(node["target"][0] for node in item["nodes"][:3])
        for item in found
        if item["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def dossier(session: Session, upload_dir: Path) -> tuple[int, int]:
    """A dossier déposé of the Ministère, waiting at the recevabilité (its work item id)."""
    scenario = {item.name: item for item in load_scenarios(PROCESS)}["favorable"]
    organisation = session.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert organisation is not None
    instance = start(session, organisation)
    play_step(
        session,
        DocumentStore(upload_dir),
        instance,
        scenario.steps[0],
        actor_picker(session, organisation),
    )
    session.commit()
    item = session.scalar(
        select(WorkItem.id).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    assert item is not None
    return instance.id, item


def test_public_pages(page: Page, live_server: str) -> None:
    for path in ("/", "/connexion"):
        page.goto(live_server + path)
        assert violations(page) == [], path


def test_submitter_pages(page: Page, live_server: str, dossier: tuple[int, int]) -> None:
    instance_id, _item = dossier
    login(page, live_server, "demandeur@example.org")
    for path in ("/demandes/", f"/demandes/{instance_id}"):
        page.goto(live_server + path)
        assert violations(page) == [], path
    page.goto(live_server + "/demandes/")
    page.click("text=Nouvelle demande")
    page.wait_for_url("**/saisie/identification")
    assert violations(page) == [], "saisie"
    page.click("button[value=suivant]")
    page.wait_for_load_state()
    assert violations(page) == [], "page 2"


def test_reviewer_pages(page: Page, live_server: str, dossier: tuple[int, int]) -> None:
    instance_id, item = dossier
    login(page, live_server, "recevabilite@example.org")
    for path in (
        "/instruction/",
        f"/instruction/taches/{item}",
        "/instruction/dossiers",
        f"/instruction/dossiers/{instance_id}",
    ):
        page.goto(live_server + path)
        assert violations(page) == [], path
    page.goto(f"{live_server}/instruction/taches/{item}")
    page.click("text=Prendre en charge")
    page.click(f"form[action$='/taches/{item}'] button[type=submit]")
    page.wait_for_load_state()
    assert "erreur" in page.inner_text("main").lower()
    assert violations(page) == [], "error summary"


def test_studio_pages(page: Page, live_server: str) -> None:
    login(page, live_server, "proprietaire@example.org")
    for path in ("/studio/", "/studio/recensement/", "/studio/recensement/migration"):
        page.goto(live_server + path)
        assert violations(page) == [], path
