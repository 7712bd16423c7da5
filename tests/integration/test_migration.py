"""Dossiers of an older version move to the new one when what they lived still exists, finish
there, and a move can be reverted while the dossier has not moved on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.errors import Conflict
from engine.core.models import (
    Instance,
    Organisation,
    ProcessVersion,
    User,
    WorkItem,
    WorkItemStatus,
)
from engine.definitions.deployment import deploy
from engine.definitions.folders import read_folder
from engine.studio.scenario import actor_picker, load_scenarios, play_step, start
from engine.workflow import migration
from engine.workflow.documents import DocumentStore
from tests.support import Browser, text_of

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "recensement"
FAVORABLE = {scenario.name: scenario for scenario in load_scenarios(PROCESS)}["favorable"]


def owner(session: Session) -> Actor:
    user = session.scalar(select(User).where(User.email == "proprietaire@example.org"))
    assert user is not None
    return Actor.from_user(user)


def dossier_at(session: Session, store: DocumentStore, steps: int) -> Instance:
    organisation = session.scalar(select(Organisation).where(Organisation.kind == "cpne"))
    assert organisation is not None
    instance = start(session, organisation)
    pick = actor_picker(session, organisation)
    for step in FAVORABLE.steps[:steps]:
        play_step(session, store, instance, step, pick)
    session.commit()
    return instance


def finish(session: Session, store: DocumentStore, instance: Instance, steps: int) -> None:
    organisation = session.get(Organisation, instance.organisation_id)
    assert organisation is not None
    pick = actor_picker(session, organisation)
    for step in FAVORABLE.steps[steps:]:
        play_step(session, store, instance, step, pick)
    session.commit()


def deploy_variant(session: Session, replace: dict[str, str]) -> ProcessVersion:
    files = read_folder(PROCESS)
    for old, new in replace.items():
        assert old in files["recensement.bpmn"]
        files["recensement.bpmn"] = files["recensement.bpmn"].replace(old, new)
    version, created = deploy(session, files)
    assert created
    session.commit()
    return version


def by_dossier(session: Session) -> dict[int, migration.Candidate]:
    return {item.instance_id: item for item in migration.candidates(session, "recensement")}


@pytest.fixture
def store(upload_dir: Path) -> DocumentStore:
    return DocumentStore(upload_dir)


def test_a_dossier_moves_to_the_new_version_and_finishes_there(
    session: Session, store: DocumentStore, restore: None
) -> None:
    waiting = dossier_at(session, store, 1)  # déposé: waits at examiner_recevabilite
    new = deploy_variant(
        session, {'name="Examiner la recevabilité"': 'name="Examiner la recevabilité (v2)"'}
    )
    found = {
        candidate.instance_id: candidate
        for candidate in migration.candidates(session, "recensement")
    }
    assert found[waiting.id].movable and found[waiting.id].to_version == new.version

    migration.migrate(session, owner(session), waiting.id)
    session.commit()
    assert waiting.process_version_id == new.id
    item = session.scalar(
        select(WorkItem).where(
            WorkItem.instance_id == waiting.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    assert item is not None and item.task_title == "Examiner la recevabilité (v2)"

    finish(session, store, waiting, 1)
    assert waiting.status_label == "Recensée"
    assert waiting.end_event == "fin_recensee"


def test_a_dossier_whose_step_disappeared_cannot_move(
    session: Session, store: DocumentStore, restore: None
) -> None:
    waiting = dossier_at(session, store, 1)
    renamed = {
        'id="examiner_recevabilite"': 'id="examiner_la_recevabilite"',
        '"examiner_recevabilite"': '"examiner_la_recevabilite"',
        ">examiner_recevabilite<": ">examiner_la_recevabilite<",
    }
    files = read_folder(PROCESS)
    text = files["recensement.bpmn"]
    for old, new in renamed.items():
        text = text.replace(old, new)
    text = text.replace(
        'value="examiner_la_recevabilite.schema.json"', 'value="examiner_recevabilite.schema.json"'
    )
    text = text.replace(
        'value="examiner_la_recevabilite.ui.json"', 'value="examiner_recevabilite.ui.json"'
    )
    deploy(session, {**files, "recensement.bpmn": text})
    session.commit()

    found = {
        candidate.instance_id: candidate
        for candidate in migration.candidates(session, "recensement")
    }
    assert not found[waiting.id].movable
    assert (
        "examiner_recevabilite\u00a0: l'étape «\u00a0Examiner la recevabilité\u00a0» n'existe plus"
        in found[waiting.id].reasons[0]
    )
    with pytest.raises(Conflict, match="ne peut pas changer de version"):
        migration.migrate(session, owner(session), waiting.id)
    session.rollback()
    finish(session, store, waiting, 1)  # it completes on its old version
    assert waiting.status_label == "Recensée"


def test_a_move_is_reverted_until_the_dossier_moves_on(
    session: Session, store: DocumentStore, restore: None
) -> None:
    first = dossier_at(session, store, 1)
    second = dossier_at(session, store, 1)
    old_version, old_state = first.process_version_id, first.state
    deploy_variant(
        session, {'name="Désigner le rapporteur"': 'name="Désigner la ou le rapporteur"'}
    )
    for instance in (first, second):
        migration.migrate(session, owner(session), instance.id)
    session.commit()

    migration.revert(session, owner(session), first.id)
    session.commit()
    assert (first.process_version_id, first.state) == (old_version, old_state)
    kinds = [event.kind for event in migration.recent_migrations(session, "recensement")]
    assert kinds[:1] == [migration.REVERT]

    finish(session, store, second, 1)  # it moved on: reverting would lose that
    with pytest.raises(Conflict, match="a avancé depuis"):
        migration.revert(session, owner(session), second.id)


def test_the_migration_page_moves_and_reverts(
    session: Session, store: DocumentStore, restore: None, browser: Browser
) -> None:
    dossier = dossier_at(session, store, 1)
    deploy_variant(session, {'name="Inscrire à l\'ordre du jour"': 'name="Inscrire en séance"'})
    browser.login("proprietaire@example.org")
    url = "/studio/recensement/migration"
    page = text_of(browser.get(url))
    assert dossier.reference is not None and dossier.reference in page
    assert "Migrer tous les dossiers migrables (1)" in page

    moved = browser.post(url, {"action": "migrer", "dossier": str(dossier.id)}, from_page=url)
    assert moved.status_code == 302
    page = text_of(browser.get(url))
    assert "Dossier passé à la dernière version." in page
    assert "Aucun dossier en cours sur une version précédente." in page
    assert "passé de la version" in page

    back = browser.post(url, {"action": "annuler", "dossier": str(dossier.id)}, from_page=url)
    assert back.status_code == 302
    assert "Changement de version annulé." in text_of(browser.get(url))
    for garbage in ("", "abc", "99999999", "²"):
        response = browser.post(url, {"action": "migrer", "dossier": garbage}, from_page=url)
        assert response.status_code == 302


def test_the_viewer_gets_the_dossiers_path_and_the_waiting_counts(
    session: Session, store: DocumentStore, browser_factory: object
) -> None:
    dossier = dossier_at(session, store, 2)  # recevable: waits at designer_rapporteur
    reviewer = browser_factory()  # type: ignore[operator]
    reviewer.login("recevabilite@example.org")
    page = reviewer.get(f"/instruction/dossiers/{dossier.id}").get_data(as_text=True)
    assert f'data-markers-url="/instruction/dossiers/{dossier.id}/marqueurs"' in page
    xml = reviewer.get(f"/instruction/dossiers/{dossier.id}/diagramme")
    assert xml.mimetype == "application/xml" and b'id="designer_rapporteur"' in xml.data
    markers = reviewer.get(f"/instruction/dossiers/{dossier.id}/marqueurs").get_json()
    assert markers["current"] == ["designer_rapporteur"]
    assert {"saisir_demande", "examiner_recevabilite", "prequalifier_demandeur"} <= set(
        markers["completed"]
    )
    assert "instruire_demande" not in markers["completed"]

    submitter = browser_factory()  # type: ignore[operator]
    submitter.login("demandeur@example.org")
    assert submitter.get(f"/instruction/dossiers/{dossier.id}/marqueurs").status_code == 403

    owner = browser_factory()  # type: ignore[operator]
    owner.login("proprietaire@example.org")
    version = session.get(ProcessVersion, dossier.process_version_id)
    assert version is not None
    counts = owner.get(f"/studio/api/recensement/versions/{version.version}/marqueurs").get_json()
    assert counts["counts"]["designer_rapporteur"]["count"] == 1
    assert counts["counts"]["designer_rapporteur"]["median_days"] == 0.0
