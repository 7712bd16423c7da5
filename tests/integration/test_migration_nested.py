"""Dossiers waiting inside a sub-process or a call activity move to a new version too, and a
moved dossier keeps the due times of its timers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.core.models import Email, Instance, InstanceStatus, WorkItem, WorkItemStatus
from engine.core.typography import date_filter
from engine.definitions.deployment import deploy
from engine.workflow import migration
from engine.workflow.actions import completing
from tests.clock import due_time, run_worker_at
from tests.dossiers import walk_until
from tests.integration.test_diagram_code import actor, start
from tests.integration.test_migration import deploy_variant, owner
from tests.models_fixtures import FORM_SCHEMA, HEADER, USER_TASK
from tests.support import Browser, text_of

LANES = {"Demandeur": {"role": "demandeur", "scope": "organisation"}}
Steps = list[tuple[str, str]]  # (element id, name) of user tasks, in order
Model = Callable[[str, Steps, Steps], dict[str, str]]


def _flow(ident: str, source: str, target: str) -> str:
    return f'    <bpmn:sequenceFlow id="{ident}" sourceRef="{source}" targetRef="{target}" />\n'


def _chain(prefix: str, tasks: Steps, start: str, end: str) -> str:
    """start event → the user tasks in order → end event, flows named `prefix`1, 2…"""
    nodes = [start, *(ident for ident, _name in tasks), end]
    flows = [f"{prefix}{index}" for index in range(1, len(nodes))]
    body = f'    <bpmn:startEvent id="{start}"><bpmn:outgoing>{flows[0]}</bpmn:outgoing>'
    body += "</bpmn:startEvent>\n"
    for index, (ident, name) in enumerate(tasks):
        body += USER_TASK.format(
            id=ident, name=name, incoming=flows[index], outgoing=flows[index + 1]
        )
    body += f'    <bpmn:endEvent id="{end}"><bpmn:incoming>{flows[-1]}</bpmn:incoming>'
    body += "</bpmn:endEvent>\n"
    links = zip(flows, nodes[:-1], nodes[1:], strict=True)
    body += "".join(_flow(flow, source, target) for flow, source, target in links)
    return body


def _top(key: str, middle: str, after: Steps) -> str:
    """start → `saisie` → the sub-process or call `examen` (`middle`) → `after` tasks → end."""
    tasks = [("saisie", "Saisir"), ("examen", ""), *after]
    body = _chain("f", tasks, "debut", "fin")
    examen = USER_TASK.format(id="examen", name="", incoming="f2", outgoing="f3")
    body = body.replace(examen, middle)
    nodes = ["debut", "fin", "saisie", "examen", *(ident for ident, _name in after)]
    return _document(key, body, nodes)


def _document(key: str, body: str, lane_nodes: list[str]) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in lane_nodes)
    return (
        HEADER.format(key=key, lane_refs=refs) + body + "  </bpmn:process>\n</bpmn:definitions>\n"
    )


def embedded(key: str, inner: Steps, after: Steps) -> dict[str, str]:
    """A sub-process `examen` whose user tasks are `inner`, then the `after` tasks."""
    middle = (
        '    <bpmn:subProcess id="examen" name="Examen">'
        "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>\n"
        + _chain("s", inner, "examen_debut", "examen_fin")
        + "    </bpmn:subProcess>\n"
    )
    bpmn = _top(key, middle, after)
    inner_nodes = ["examen_debut", "examen_fin", *(ident for ident, _name in inner)]
    refs = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in inner_nodes)
    bpmn = bpmn.replace("</bpmn:lane>", refs + "</bpmn:lane>", 1)
    return _folder(key, {f"{key}.bpmn": bpmn})


def called(key: str, inner: Steps, after: Steps) -> dict[str, str]:
    """A call activity `examen` of the process `{key}_annexe` (another file)."""
    middle = (
        f'    <bpmn:callActivity id="examen" name="Examen" calledElement="{key}_annexe">'
        "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>"
        "</bpmn:callActivity>\n"
    )
    annexe_nodes = ["annexe_debut", "annexe_fin", *(ident for ident, _name in inner)]
    annexe = _document(
        f"{key}_annexe", _chain("a", inner, "annexe_debut", "annexe_fin"), annexe_nodes
    )
    return _folder(key, {f"{key}.bpmn": _top(key, middle, after), "annexe.bpmn": annexe})


def _folder(key: str, bpmn: dict[str, str]) -> dict[str, str]:
    config = {"key": key, "title": f"Test {key}", "process_id": key, "lanes": LANES}
    return {
        "process.json": json.dumps(config),
        **bpmn,
        "forms/tour.schema.json": json.dumps(FORM_SCHEMA),
    }


def open_titles(session: Session, instance: Instance) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(WorkItem.task_title).where(
                WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
            )
        )
    )


def answer(session: Session, instance: Instance) -> None:
    """The submitter answers the dossier's open task."""
    item = session.scalar(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    assert item is not None
    completing.complete_work_item(
        session, actor(session, "demandeur@example.org"), item.id, {"continuer": "oui"}
    )
    session.commit()


EXAMINER = [("examiner", "Examiner")]
CONCLURE = [("conclure", "Conclure")]


@pytest.mark.parametrize(
    ("build", "key"),
    [(embedded, "imbrique_sous_processus"), (called, "imbrique_appel")],
    ids=["sous-processus", "appel"],
)
def test_a_dossier_inside_a_sub_process_moves_and_takes_the_new_steps(
    session: Session, browser: Browser, build: Model, key: str
) -> None:
    instance, _item = start(session, build(key, EXAMINER, CONCLURE))
    answer(session, instance)
    assert open_titles(session, instance) == ["Examiner"]  # waits inside the sub-process
    # Version 2 adds a step inside the sub-process and one after it.
    new, _created = deploy(
        session,
        build(key, [*EXAMINER, ("verifier", "Vérifier")], [("noter", "Noter"), *CONCLURE]),
    )
    session.commit()

    browser.login("proprietaire@example.org")
    url = f"/studio/{key}/migration"
    page = text_of(browser.get(url))
    assert "Migrer tous les dossiers migrables (1)" in page
    moved = browser.post(url, {"action": "migrer", "dossier": str(instance.id)}, from_page=url)
    assert moved.status_code == 302
    assert "Dossier passé à la dernière version." in text_of(browser.get(url))
    session.expire_all()
    assert instance.process_version_id == new.id

    for title in ("Examiner", "Vérifier", "Noter", "Conclure"):
        assert open_titles(session, instance) == [title]
        answer(session, instance)
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.end_event == "fin"


def test_a_dossier_whose_step_left_the_sub_process_cannot_move(
    session: Session, browser: Browser
) -> None:
    key = "imbrique_retire"
    instance, _item = start(session, embedded(key, EXAMINER, CONCLURE))
    answer(session, instance)
    deploy(session, embedded(key, [("examiner_autrement", "Examiner autrement")], CONCLURE))
    session.commit()

    browser.login("proprietaire@example.org")
    url = f"/studio/{key}/migration"
    page = text_of(browser.get(url))
    assert "examiner : l'étape « Examiner » n'existe plus dans la version 2" in page
    refused = browser.post(url, {"action": "migrer", "dossier": str(instance.id)}, from_page=url)
    assert refused.status_code == 302
    assert "Ce dossier ne peut pas changer de version" in text_of(browser.get(url))
    session.expire_all()
    answer(session, instance)  # it goes on on its own version
    assert open_titles(session, instance) == ["Conclure"]


def test_a_moved_dossier_keeps_the_due_times_of_its_timers(
    app: Flask, browser_factory: Callable[[], Browser], session: Session, restore: None
) -> None:
    sessions: sessionmaker[Session] = app.extensions["db_sessions"]
    walker = walk_until(
        browser_factory,
        "rappel_complements",
        scenario="classee_sans_suite",
        organisation="organisation_cncp",
    )  # complements asked: a deadline, and a reminder 7 days before it
    deadline = due_time(sessions, walker.dossier_id, "delai_complements_echu")
    reminder = due_time(sessions, walker.dossier_id, "rappel_complements")

    with freeze_time(reminder - timedelta(days=5)):  # a new version, later on
        deploy_variant(
            session, {'name="Désigner le rapporteur"': 'name="Désigner la ou le rapporteur"'}
        )
        assert walker.dossier_id is not None
        migration.migrate(session, owner(session), walker.dossier_id)
        session.commit()
    assert due_time(sessions, walker.dossier_id, "delai_complements_echu") == deadline

    # The reminder tells the deadline the submitter was given, not one counted from the move.
    run_worker_at(sessions, reminder + timedelta(seconds=1))
    session.expire_all()
    reminded = session.scalars(
        select(Email.body).where(
            Email.instance_id == walker.dossier_id,
            Email.recipient == "demandeur3@example.org",
            Email.subject.contains("Rappel"),
        )
    ).all()
    assert len(reminded) == 1
    assert f"expire le {date_filter(deadline)}" in reminded[0]
