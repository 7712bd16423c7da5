"""A process owner changes a decision table in the browser (dmn-js) and saves the draft: the
new text is in the draft's DMN file, which still passes the model's checks."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from engine.core.models import ProcessDraft
from engine.definitions.checking import check_files
from tests.browser.conftest import login
from tests.browser.test_accessibility import violations

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "recensement"
FILE = "prequalification.dmn"
NEW_MESSAGE = "Ministère : vérifier son intérêt à agir (message revu)"


def test_edit_a_decision_table(
    page: Page, live_server: str, session: Session, restore: None
) -> None:
    login(page, live_server, "proprietaire@example.org")
    page.goto(f"{live_server}/studio/recensement/")
    page.click(f"text=Modifier la table de décision {FILE}")
    expect(page.locator("#studio-messages")).to_contain_text("Brouillon chargé.")

    cell = page.locator(
        'td[data-row-id="regle_ministere"][data-col-id="sortie_prequalification_message"]'
        " .content-editable"
    )
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(f'"{NEW_MESSAGE}"')
    expect(page.locator("#studio-decisions")).to_have_attribute("data-dirty", "true")
    page.click("#studio-save")
    expect(page.locator("#studio-messages")).to_contain_text("Brouillon enregistré.")
    expect(page.locator("#studio-decisions")).to_have_attribute("data-dirty", "false")

    session.rollback()
    draft = session.get(ProcessDraft, "recensement")
    assert draft is not None
    files = dict(draft.files)
    assert f"<text>&#34;{NEW_MESSAGE}&#34;</text>" in files[FILE] or (
        f'<text>"{NEW_MESSAGE}"</text>' in files[FILE]
    )
    assert "Demande d'un département ministériel" not in files[FILE]
    assert check_files(files) == []


def test_decision_table_page_is_accessible(page: Page, live_server: str, restore: None) -> None:
    login(page, live_server, "proprietaire@example.org")
    page.goto(f"{live_server}/studio/recensement/decisions/{FILE}")
    expect(page.locator("#studio-messages")).to_contain_text("Brouillon chargé.")
    assert violations(page) == []
