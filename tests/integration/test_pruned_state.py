"""A dossier's stored workflow state stays small however many rounds of complements it goes
through: each save prunes the task tree of its closed branches. What the pruned tree no longer
holds is still known: the dossier completes, moves to a new version of its process (or is kept
from moving by a step it lived rounds ago), shows its whole path on the diagram and fires its
timers; a state stored before pruning loads, and is pruned at its next save."""

from __future__ import annotations

import base64
import json
import math
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.errors import Conflict
from engine.core.models import Email, Instance, Organisation, User, WorkItem, WorkItemStatus
from engine.definitions.definition import definition_for
from engine.definitions.deployment import deploy
from engine.definitions.folders import read_folder
from engine.studio.scenario import Scenario, Step, actor_picker, load_scenarios, play_step, start
from engine.workflow import migration
from engine.workflow.actions import completing, starting
from engine.workflow.documents import DocumentStore
from engine.workflow.state import load_workflow, refresh_projection
from tests.clock import due_time, has_pending_timer, run_worker_at
from tests.models_fixtures import human_loop
from tests.recensed import sessions_of
from tests.support import Browser

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "recensement"
SCENARIOS = {scenario.name: scenario for scenario in load_scenarios(PROCESS)}
FAVORABLE = SCENARIOS["favorable"]
TWO_ROUNDS = SCENARIOS["complements_recevabilite_puis_instruction"]
LIMIT = 6 * 1024  # bytes of stored state, whatever the rounds
MARGIN = 256  # bytes: 10 rounds store what 2 rounds store, give or take a text's length


def scenario_step(scenario: Scenario, task: str, **wanted: str) -> Step:
    return next(
        step
        for step in scenario.steps
        if step.task == task and all(step.data.get(k) == v for k, v in wanted.items())
    )


def with_rounds(rounds: int) -> list[Step]:
    """The favourable path with `rounds` rounds of complements, asked in turn by the
    recevabilité and by the rapporteur (as the bench's figure (c) plays it)."""
    completer = [step for step in TWO_ROUNDS.steps if step.task == "completer_demande"]
    steps = [FAVORABLE.steps[0]]
    steps += [
        scenario_step(TWO_ROUNDS, "examiner_recevabilite", decision="complements"),
        completer[0],
    ] * math.ceil(rounds / 2)
    steps += [
        scenario_step(FAVORABLE, "examiner_recevabilite", decision="recevable"),
        scenario_step(FAVORABLE, "designer_rapporteur"),
    ]
    steps += [
        scenario_step(TWO_ROUNDS, "instruire_demande", avis_rapporteur="complements"),
        completer[1],
    ] * (rounds // 2)
    steps += [
        scenario_step(FAVORABLE, task) for task in ("instruire_demande", "inscrire_ordre_du_jour")
    ]
    steps += [step for step in FAVORABLE.steps if step.timer == "attendre_seance"]
    steps += [scenario_step(FAVORABLE, task) for task in ("deliberer", "prononcer_decision")]
    return steps


def before_last(steps: list[Step], task: str) -> tuple[list[Step], list[Step]]:
    """The steps before the last step of `task` (a task or a timer's element), and the rest."""
    at = max(index for index, step in enumerate(steps) if task in (step.task, step.timer))
    return steps[:at], steps[at:]


def organisation(session: Session) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.kind == "cpne"))
    assert found is not None
    return found


def play(
    session: Session, store: DocumentStore, steps: list[Step], instance: Instance | None = None
) -> tuple[Instance, list[int]]:
    """Play `steps` through the engine, each committed; the stored state's size after each."""
    pick = actor_picker(session, organisation(session))
    instance = instance or start(session, organisation(session))
    sizes = []
    for step in steps:
        play_step(session, store, instance, step, pick)
        session.commit()
        sizes.append(len(instance.state.encode("utf-8")))
    return instance, sizes


def owner(session: Session) -> Actor:
    user = session.scalar(select(User).where(User.email == "proprietaire@example.org"))
    assert user is not None
    return Actor.from_user(user)


def open_tasks(session: Session, instance: Instance) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(WorkItem.task_spec).where(
                WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
            )
        )
    )


@pytest.fixture
def store(upload_dir: Path) -> DocumentStore:
    return DocumentStore(upload_dir)


def test_ten_rounds_of_complements_store_no_more_than_two(
    session: Session, store: DocumentStore
) -> None:
    two, two_sizes = play(session, store, with_rounds(2))
    ten, ten_sizes = play(session, store, with_rounds(10))

    assert max(ten_sizes) <= LIMIT, ten_sizes
    assert ten_sizes[-1] <= two_sizes[-1] + MARGIN
    assert max(ten_sizes) <= max(two_sizes) + MARGIN
    for dossier in (two, ten):
        assert dossier.status_label == "Recensée"
        assert dossier.end_event == "fin_recensee"
        assert dossier.state_format == spiff.STATE_FORMAT


def test_after_ten_rounds_a_dossier_moves_to_a_new_version_and_finishes(
    session: Session, store: DocumentStore, restore: None
) -> None:
    ahead, rest = before_last(with_rounds(10), "instruire_demande")
    dossier, _sizes = play(session, store, ahead)
    assert open_tasks(session, dossier) == ["instruire_demande"]
    files = read_folder(PROCESS)
    bpmn = files["recensement.bpmn"]
    assert 'name="Instruire la demande"' in bpmn
    files["recensement.bpmn"] = bpmn.replace(
        'name="Instruire la demande"', 'name="Instruire la demande (v2)"'
    )
    new, _created = deploy(session, files)
    session.commit()

    found = {item.instance_id: item for item in migration.candidates(session, "recensement")}
    assert found[dossier.id].movable, found[dossier.id].reasons
    migration.migrate(session, owner(session), dossier.id)
    session.commit()
    assert dossier.process_version_id == new.id
    title = session.scalar(
        select(WorkItem.task_title).where(
            WorkItem.instance_id == dossier.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    assert title == "Instruire la demande (v2)"

    _dossier, sizes = play(session, store, rest, dossier)
    assert dossier.status_label == "Recensée"
    assert dossier.end_event == "fin_recensee"
    assert max(sizes) <= LIMIT


def test_a_step_lived_rounds_ago_still_keeps_a_dossier_from_moving(
    session: Session, store: DocumentStore, restore: None
) -> None:
    # The recevabilité's complements were asked in the first rounds: long pruned from the
    # stored tree, still a step the dossier has lived.
    ahead, rest = before_last(with_rounds(10), "instruire_demande")
    dossier, _sizes = play(session, store, ahead)
    files = read_folder(PROCESS)
    files["recensement.bpmn"] = files["recensement.bpmn"].replace(
        "noter_complements_recevabilite", "noter_complements_recevabilite_2"
    )
    deploy(session, files)
    session.commit()

    found = {item.instance_id: item for item in migration.candidates(session, "recensement")}
    assert not found[dossier.id].movable
    assert found[dossier.id].reasons == [
        "noter_complements_recevabilite\u00a0: l'étape «\u00a0Compléments demandés par la "
        "recevabilité\u00a0» n'existe plus dans la version "
        f"{found[dossier.id].to_version}"
    ]
    with pytest.raises(Conflict, match="ne peut pas changer de version"):
        migration.migrate(session, owner(session), dossier.id)
    session.rollback()
    play(session, store, rest, dossier)  # it completes on its own version
    assert dossier.status_label == "Recensée"


# What the path viewer showed before pruning, for the same walk (the whole tree then).
PATH_AT_LAST_INSTRUCTION = {
    "completed": [
        "completer_demande",
        "debut",
        "designer_rapporteur",
        "examiner_recevabilite",
        "gw_avis_rapporteur",
        "gw_entree_complements",
        "gw_entree_instruction",
        "gw_entree_recevabilite",
        "gw_recevabilite",
        "gw_retour_complements",
        "initialiser_compteur",
        "noter_complements_rapporteur",
        "noter_complements_recevabilite",
        "notifier_recevabilite",
        "prequalifier_demandeur",
        "saisir_demande",
    ],
    "current": ["instruire_demande"],
    "waiting": ["rappel_instruction"],
    "counts": {},
}
PATH_AT_THE_END = {
    "completed": sorted(
        PATH_AT_LAST_INSTRUCTION["completed"]
        + ["instruire_demande", "inscrire_ordre_du_jour", "attendre_seance", "deliberer"]
        + ["gw_deliberation", "prononcer_decision", "gw_decision", "publier", "fin_recensee"]
    ),
    "current": [],
    "waiting": [],
    "counts": {},
}


def test_the_path_viewer_shows_the_whole_path_after_ten_rounds(
    session: Session, store: DocumentStore, browser: Browser
) -> None:
    ahead, rest = before_last(with_rounds(10), "instruire_demande")
    dossier, _sizes = play(session, store, ahead)
    browser.login("rapporteur@example.org")
    markers = browser.get(f"/instruction/dossiers/{dossier.id}/marqueurs")
    assert markers.get_json() == PATH_AT_LAST_INSTRUCTION
    xml = browser.get(f"/instruction/dossiers/{dossier.id}/diagramme")
    assert b'id="noter_complements_recevabilite"' in xml.data

    play(session, store, rest, dossier)
    assert dossier.status_label == "Recensée"
    markers = browser.get(f"/instruction/dossiers/{dossier.id}/marqueurs")
    assert markers.get_json() == PATH_AT_THE_END


def test_after_ten_rounds_the_worker_fires_the_dossiers_timers(
    app: Flask, session: Session, store: DocumentStore
) -> None:
    sessions = sessions_of(app)
    steps = with_rounds(10)
    ahead, rest = before_last(steps, "completer_demande")
    dossier, _sizes = play(session, store, ahead)

    # The tenth round's reminder falls due: the submitter is reminded, the task stays theirs.
    reminder = due_time(sessions, dossier.id, "rappel_complements")
    run_worker_at(sessions, reminder + timedelta(seconds=1))
    session.expire_all()
    reminded = session.scalars(
        select(Email.recipient).where(
            Email.instance_id == dossier.id, Email.subject.startswith("Rappel — demande")
        )
    ).all()
    assert sorted(reminded) == ["claire.martin@cpne-exemple.fr", "demandeur2@example.org"]
    assert open_tasks(session, dossier) == ["completer_demande"]
    assert has_pending_timer(sessions, dossier.id, "delai_complements_echu")

    # Answered in time, then put on a séance's agenda: the séance's date fires the next step.
    ahead, rest = before_last(rest, "attendre_seance")
    _dossier, sizes = play(session, store, ahead, dossier)
    assert not has_pending_timer(sessions, dossier.id, "delai_complements_echu")
    seance = due_time(sessions, dossier.id, "attendre_seance")
    run_worker_at(sessions, seance + timedelta(seconds=1))
    assert open_tasks(session, dossier) == ["deliberer"]

    _dossier, more = play(session, store, rest[1:], dossier)  # the timer step has happened
    assert dossier.status_label == "Recensée"
    assert max(sizes + more) <= LIMIT


# --- a state stored before pruning ----------------------------------------------------------


def stored_before_pruning(workflow: object, state_format: int) -> str:
    """The state as the engine stored it before pruning: SpiffWorkflow's own serializer, the
    whole task tree, without the spec; JSON (format 1) or compressed (format 2)."""
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    dct = json.loads(serializer.serialize_json(workflow))
    del dct["spec"], dct["subprocess_specs"]
    text = json.dumps(dct)
    if state_format == 1:
        return text
    return spiff.COMPRESSED_PREFIX + base64.b64encode(zlib.compress(text.encode())).decode()


def demandeur(session: Session) -> Actor:
    user = session.scalar(select(User).where(User.email == "demandeur@example.org"))
    assert user is not None
    return Actor.from_user(user)


@pytest.mark.parametrize("state_format", [1, 2])
def test_a_state_stored_before_pruning_loads_and_is_pruned_at_its_next_save(
    session: Session, state_format: int
) -> None:
    version, _created = deploy(session, human_loop(f"boucle_format_{state_format}"))
    instance = starting.start_instance(session, demandeur(session), key=version.key)
    definition = definition_for(session, version.id)
    # Twenty passes of the loop in one workflow never stored: the whole tree of a dossier
    # saved before pruning.
    workflow = spiff.new_workflow(definition.parsed, spiff.ScriptEngine())
    spiff.run_engine(workflow)
    for _ in range(20):
        spiff.complete_human_task(spiff.ready_human_tasks(workflow)[0], {"continuer": "oui"})
        spiff.run_engine(workflow)
    path = spiff.path_markers(workflow)
    depth = spiff.tree_depth(spiff.ready_human_tasks(workflow)[0])
    instance.state = stored_before_pruning(workflow, state_format)
    instance.state_format = state_format
    refresh_projection(session, instance, definition, load_workflow(session, instance, definition))
    session.commit()
    before = len(instance.state)

    loaded = load_workflow(session, instance, definition)
    assert spiff.path_markers(loaded) == path
    assert spiff.current_data(loaded)["tours"] == 20
    item = session.scalar(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    assert item is not None
    completing.complete_work_item(session, demandeur(session), item.id, {"continuer": "oui"})
    session.commit()

    assert instance.state_format == spiff.STATE_FORMAT
    assert len(instance.state) < before / 3
    pruned = load_workflow(session, instance, definition)
    assert spiff.path_markers(pruned) == path
    assert len(pruned.tasks) < 15
    # The loop's bound counts the passes of the whole tree: one more pass, four levels deeper.
    assert spiff.tree_depth(spiff.ready_human_tasks(pruned)[0]) == depth + 4
    assert spiff.current_data(pruned)["tours"] == 21

    item = session.scalar(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    assert item is not None
    completing.complete_work_item(session, demandeur(session), item.id, {"continuer": "non"})
    session.commit()
    ended = load_workflow(session, instance, definition)
    assert spiff.path_markers(ended) == {
        "completed": ["compter", "debut", "encore", "entree", "fin", "initialiser", "tour"],
        "current": [],
        "waiting": [],
    }
    assert spiff.current_data(ended)["tours"] == 22
