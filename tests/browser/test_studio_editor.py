"""A process owner changes the procedure in the browser: rename a task and add a field to its
form, validate, try the scenarios, deploy; new dossiers follow the new version, a running one
finishes on its own, another is migrated and seen on the new diagram."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.models import Instance, Organisation, ProcessVersion, User
from engine.definitions.folders import read_folder
from engine.studio import drafts
from engine.studio.scenario import actor_picker, load_scenarios, play_step, start
from engine.workflow.documents import DocumentStore
from tests.browser.conftest import login, report_csp_violations

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "recensement"
FAVORABLE = {item.name: item for item in load_scenarios(PROCESS)}["favorable"]
NEW_NAME = "Saisir la demande de recensement"
NEW_FIELD = "numero_fiche_existante"
NEW_LABEL = "Numéro de la fiche RS existante"


def depose(session: Session, upload_dir: Path) -> Instance:
    organisation = session.scalar(select(Organisation).where(Organisation.kind == "cpne"))
    assert organisation is not None
    instance = start(session, organisation)
    pick = actor_picker(session, organisation)
    play_step(session, DocumentStore(upload_dir), instance, FAVORABLE.steps[0], pick)
    session.commit()
    return instance


def select_element(page: Page, element_id: str) -> None:
    """Click the shape, as a person would."""
    box = page.locator(f'.djs-element[data-element-id="{element_id}"]').bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#studio-name")).to_be_visible()


def set_json(page: Page, selector: str, change: object) -> None:
    """Edit a JSON textarea as a person would: its whole text replaced, an input event fired."""
    box = page.locator(selector)
    value = json.loads(box.input_value())
    change(value)  # type: ignore[operator]
    box.fill(json.dumps(value, ensure_ascii=False, indent=2))


def test_change_deploy_migrate(
    page: Page, live_server: str, session: Session, upload_dir: Path, restore: None
) -> None:
    running = depose(session, upload_dir)
    to_migrate = depose(session, upload_dir)
    old_version = running.process_version_id

    login(page, live_server, "proprietaire@example.org")
    page.goto(f"{live_server}/studio/recensement/editeur")
    expect(page.locator("#studio-messages")).to_contain_text("Brouillon chargé.")
    select_element(page, "saisir_demande")
    page.fill("#studio-name", NEW_NAME)

    def add_field(schema: dict) -> None:  # type: ignore[type-arg]
        schema["properties"][NEW_FIELD] = {"type": "string", "title": NEW_LABEL, "maxLength": 20}

    def place_field(ui: dict) -> None:  # type: ignore[type-arg]
        ui["ui:pages"][0]["fields"].append(NEW_FIELD)

    set_json(page, "#studio-form-schema", add_field)
    set_json(page, "#studio-form-ui", place_field)
    expect(page.locator("#studio-form-preview")).to_contain_text(NEW_LABEL)
    page.click("#studio-save")
    expect(page.locator("#studio-messages")).to_contain_text("Brouillon enregistré.")
    page.click("#studio-validate")
    expect(page.locator("#studio-messages")).to_contain_text("Le modèle est déployable.")

    page.goto(f"{live_server}/studio/recensement/")
    page.click("text=Essayer les scénarios")
    expect(page.locator("main")).to_contain_text("Tous les scénarios passent")
    page.click("main form button:has-text('Déployer')")
    expect(page.locator("main")).to_contain_text("Version 2 déployée")

    session.rollback()
    latest = session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.key == "recensement")
        .order_by(ProcessVersion.version.desc())
    )
    assert latest is not None and latest.version == 2

    submitter = page.context.browser.new_context(locale="fr-FR").new_page()  # type: ignore[union-attr]
    login(submitter, live_server, "demandeur@example.org")
    submitter.click("text=Nouvelle demande")
    expect(submitter.locator("main")).to_contain_text(NEW_LABEL)
    submitter.context.close()

    # The dossier started before finishes on its own version.
    session.rollback()
    organisation = session.get(Organisation, running.organisation_id)
    assert organisation is not None
    pick = actor_picker(session, organisation)
    for step in FAVORABLE.steps[1:]:
        play_step(session, DocumentStore(upload_dir), running, step, pick)
    session.commit()
    assert running.status_label == "Recensée" and running.process_version_id == old_version

    page.goto(f"{live_server}/studio/recensement/migration")
    row = page.locator("tr", has_text=to_migrate.reference or "")
    row.locator("button:has-text('Migrer')").click()
    expect(page.locator("main")).to_contain_text("Dossier passé à la dernière version.")

    reviewer_context = page.context.browser.new_context(locale="fr-FR")  # type: ignore[union-attr]
    violations = report_csp_violations(reviewer_context)
    reviewer = reviewer_context.new_page()
    login(reviewer, live_server, "recevabilite@example.org")
    reviewer.goto(f"{live_server}/instruction/dossiers/{to_migrate.id}")
    expect(reviewer.locator("#studio-viewer[data-ready=true]")).to_be_visible()
    current = reviewer.locator(
        '#studio-viewer .djs-element[data-element-id="examiner_recevabilite"]'
    )
    expect(current).to_have_class(re.compile("etape-en-cours"))
    done = reviewer.locator('#studio-viewer .djs-element[data-element-id="saisir_demande"]')
    expect(done).to_have_class(re.compile("etape-faite"))
    expect(reviewer.locator("#studio-viewer")).to_contain_text(NEW_NAME)
    reviewer.context.close()
    assert not violations, violations


def test_validation_outlines_the_elements_at_fault(
    page: Page, live_server: str, session: Session, restore: None
) -> None:
    owner = session.scalar(select(User).where(User.email == "proprietaire@example.org"))
    assert owner is not None
    files = read_folder(PROCESS)
    files["recensement.bpmn"] = (
        files["recensement.bpmn"]
        .replace("decision == &quot;irrecevable&quot;", "__import__(&quot;os&quot;).getcwd()")
        .replace('decision == "irrecevable"', '__import__("os").getcwd()')
    )
    drafts.save_draft(session, Actor.from_user(owner), "recensement", files)
    session.commit()

    login(page, live_server, "proprietaire@example.org")
    page.goto(f"{live_server}/studio/recensement/editeur")
    expect(page.locator("#studio-messages")).to_contain_text("Brouillon chargé.")
    page.click("#studio-validate")
    expect(page.locator("#studio-messages")).to_contain_text("n’est pas déployable")
    expect(page.locator("#studio-messages")).to_contain_text("les imports sont interdits")
    gateway = page.locator('.djs-element[data-element-id="gw_recevabilite"]')
    expect(gateway).to_have_class(re.compile("studio-en-erreur"))


def test_the_model_page_shows_how_many_dossiers_wait_at_each_task(
    page: Page, live_server: str, session: Session, upload_dir: Path
) -> None:
    depose(session, upload_dir)
    depose(session, upload_dir)
    login(page, live_server, "proprietaire@example.org")
    page.goto(f"{live_server}/studio/recensement/")
    expect(page.locator("#studio-viewer[data-ready=true]")).to_be_visible()
    badge = page.locator("#studio-viewer .studio-compte")
    expect(badge).to_have_count(1)
    expect(badge).to_contain_text("2 dossiers")
    expect(badge).to_contain_text("médiane 0 j")
    expect(
        page.locator('#studio-viewer .djs-element[data-element-id="examiner_recevabilite"]')
    ).to_have_class(re.compile("etape-en-attente"))
