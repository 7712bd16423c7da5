"""Diagram code that would stall or freeze the server: stopped at its limits, the dossier kept in
its last good state, an incident recorded, and the server serving everyone else meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.errors import ExecutionError, ScriptError
from engine.core.models import AuditEvent, Instance, WorkItem, WorkItemStatus
from engine.definitions.checking import check_files
from engine.definitions.deployment import deploy
from engine.workflow.actions import starting
from tests.integration.test_deploy_checks import repeating_reminder
from tests.integration.test_diagram_code import actor, start, store_unchecked
from tests.live_server import HttpUser, live_server
from tests.models_fixtures import (
    USER_TASK,
    _files,
    _xml,
    condition_after_task,
    script_after_task,
    timer_after_task,
)
from tests.support import Browser, text_of

PROCESS_FAILURE = "erreur dans le modèle du processus"


def incidents(session: Session, instance_id: int) -> list[str]:
    session.rollback()  # see what the server committed
    return list(
        session.scalars(
            select(AuditEvent.summary).where(
                AuditEvent.instance_id == instance_id, AuditEvent.kind == "incident"
            )
        )
    )


def failed_submission(
    session: Session, browser_factory: object, instance: Instance, item: WorkItem
) -> list[str]:
    """The submitter sends the form and the process fails on the diagram's code: the page says
    so, the dossier keeps its last good state. Returns the dossier's incidents."""
    state = instance.state
    browser: Browser = browser_factory()  # type: ignore[operator]
    browser.login("demandeur@example.org")
    response = browser.post(f"/demandes/{instance.id}/taches/{item.id}", {"continuer": "oui"})
    assert response.status_code == 422
    assert PROCESS_FAILURE in text_of(response)
    found = incidents(session, instance.id)
    stored = session.get(Instance, instance.id)
    assert stored is not None and stored.state == state
    return found


def decision_after_task(key: str, entry: str) -> dict[str, str]:
    """start → user task → business rule task on a one-rule table whose input entry is `entry`."""
    body = (
        '    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + USER_TASK.format(id="saisie", name="Saisir", incoming="f1", outgoing="f2")
        + '    <bpmn:businessRuleTask id="decider" name="Décider"><bpmn:extensionElements>'
        f"<spiffworkflow:calledDecisionId>table_{key}</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming>"
        "<bpmn:outgoing>f3</bpmn:outgoing></bpmn:businessRuleTask>\n"
        '    <bpmn:endEvent id="fin"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisie" />\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="decider" />\n'
        '    <bpmn:sequenceFlow id="f3" sourceRef="decider" targetRef="fin" />\n'
    )
    files = _files(key, body, ["debut", "saisie", "decider", "fin"])
    files[f"{key}.dmn"] = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_dmn_{key}"
  name="Table" namespace="http://example.org/inventaire">
  <decision id="table_{key}" name="Table">
    <decisionTable id="dt_{key}" hitPolicy="UNIQUE">
      <input id="entree" label="Continuer">
        <inputExpression id="expr" typeRef="string"><text>continuer</text></inputExpression>
      </input>
      <output id="sortie" label="Résultat" name="resultat" typeRef="string" />
      <rule id="regle">
        <inputEntry id="regle_entree"><text>{_xml(entry)}</text></inputEntry>
        <outputEntry id="regle_sortie"><text>"vu"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""
    return files


def instructions_task(key: str, instructions: str) -> dict[str, str]:
    """start → user task whose instructions are `instructions` → end."""
    task = USER_TASK.format(id="saisie", name="Saisir", incoming="f1", outgoing="f2").replace(
        "<bpmn:extensionElements>",
        "<bpmn:extensionElements><spiffworkflow:instructionsForEndUser>"
        f"{_xml(instructions)}</spiffworkflow:instructionsForEndUser>",
    )
    body = (
        '    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + task
        + '    <bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisie" />\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="fin" />\n'
    )
    return _files(key, body, ["debut", "saisie", "fin"])


# --- the server goes on serving --------------------------------------------------------------

RUNAWAYS = [
    pytest.param(script_after_task("boucle_une_ligne", "while True: pass"), id="while-true"),
    pytest.param(
        condition_after_task("puissance_geante", "pow(3, 10 ** 8) > 0"), id="pow-in-condition"
    ),
]


@pytest.mark.parametrize("files", RUNAWAYS)
def test_a_runaway_diagram_is_stopped_while_the_server_serves_the_others(
    session: Session, database_url: str, tmp_path: Path, files: dict[str, str]
) -> None:
    instance, item = start(session, files)
    state, version = instance.state, instance.lock_version
    with live_server(database_url, tmp_path) as server:
        submitter = HttpUser(server)
        submitter.login("demandeur@example.org")
        other = HttpUser(server, timeout=20)
        other.login("demandeur2@example.org")
        task_url = f"/demandes/{instance.id}/taches/{item.id}"
        token_page = submitter.get(task_url)
        assert token_page.status == 200

        done = threading.Event()
        outcome: dict[str, object] = {}

        def submit() -> None:
            outcome["reply"] = submitter.post(task_url, {"continuer": "oui"})
            done.set()

        runaway = threading.Thread(target=submit)
        runaway.start()
        try:
            # Another user's page is answered while the runaway request is still running.
            listing = other.get("/demandes/")
            answered_during = not done.is_set()
            assert listing.status == 200
            assert "Mes demandes" in listing.text
            # And their write goes through (on SQLite after the runaway's lock is released).
            created = other.post("/demandes/nouvelle", {}, from_page="/demandes/")
            assert created.status == 302, created.text
        finally:
            runaway.join(timeout=60)
        assert answered_during
        assert not runaway.is_alive()

        reply = outcome["reply"]
        assert isinstance(reply, type(listing))
        assert reply.status == 422
        assert PROCESS_FAILURE in reply.text
        assert "Traceback" not in reply.body
        # The same server goes on: the submitter still reads their dossier.
        assert submitter.get(f"/demandes/{instance.id}").status == 200

    found = incidents(session, instance.id)
    assert any("dépassé le temps autorisé" in summary for summary in found), found
    stored = session.get(Instance, instance.id)
    assert stored is not None
    assert (stored.state, stored.lock_version) == (state, version)
    assert session.get(WorkItem, item.id).status == WorkItemStatus.OPEN  # type: ignore[union-attr]


# --- each kind of runaway code, through a user's action ---------------------------------------

PAYLOADS = [
    ("pow_script", "x = pow(3, 10 ** 8)", "dépassé le temps autorisé"),
    ("factorielle", "x = math.factorial(10 ** 6)", "dépassé le temps autorisé"),
    ("ljust", "x = 'x'.ljust(10 ** 9)", "mémoire autorisée"),
    ("pourcent", "x = '%0999999999d' % 1", "mémoire autorisée"),
    ("fstring", "x = f'{1:>999999999}'", "mémoire autorisée"),
    ("gros_resultat", "x = 'x'.ljust(3 * 10 ** 6)", "trop volumineux"),
]


@pytest.mark.parametrize(("key", "script", "reason"), PAYLOADS)
def test_heavy_code_ends_with_a_french_incident_and_the_last_good_state(
    session: Session, browser_factory: object, key: str, script: str, reason: str
) -> None:
    instance, item = start(session, script_after_task(key, script))
    found = failed_submission(session, browser_factory, instance, item)
    assert any(reason in summary and summary.startswith("calcul:") for summary in found), found


def test_a_bad_decision_table_entry_is_an_incident_not_a_500(
    session: Session, browser_factory: object
) -> None:
    files = decision_after_task("table_fautive", "inconnue_dans_la_table == 1")
    # Stored as deployed before the check existed.
    instance, item = start(session, files, checked=False)
    found = failed_submission(session, browser_factory, instance, item)
    assert any(summary.startswith("decider:") for summary in found), found

    owner: Browser = browser_factory()  # type: ignore[operator]
    owner.login("proprietaire@example.org")
    assert "decider : erreur dans « Décider »" in text_of(owner.get("/admin/incidents"))


# --- at deployment ------------------------------------------------------------------------------


def test_a_constant_timer_that_freezes_is_stopped_at_deployment() -> None:
    problems = check_files(timer_after_task("minuterie_geante", "pow(3, 10 ** 8)"))
    assert any(
        problem.startswith("attendre:") and "dépassé le temps autorisé" in problem
        for problem in problems
    ), problems


# --- task instructions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "template", "reason"),
    [
        (
            "instructions_boucles",
            "{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            "dépassé le temps autorisé",
        ),
        ("instructions_type", "{{ 1 + 'a' }}", "TypeError"),
    ],
)
def test_instructions_that_fail_or_loop_never_break_the_task_page(
    session: Session, browser: Browser, key: str, template: str, reason: str
) -> None:
    instance, item = start(session, instructions_task(key, "Bonjour. " + template))
    browser.login("demandeur@example.org")
    response = browser.get(f"/demandes/{instance.id}/taches/{item.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Les instructions de cette étape n'ont pas pu être préparées" in page
    assert reason in page
    assert "Continuer ?" in page  # the form is there all the same


def test_instructions_still_show_the_process_variables(session: Session, browser: Browser) -> None:
    instance, item = start(
        session,
        instructions_task("instructions_ok", "Délai\u00a0: {{ delai_complements_jours }} jours."),
    )
    browser.login("demandeur@example.org")
    page = text_of(browser.get(f"/demandes/{instance.id}/taches/{item.id}"))
    assert "Délai : 30 jours." in page


# --- what deployment cannot see: checked when a dossier gets there ------------------------------


def calling_itself_at_once(key: str) -> dict[str, str]:
    """start → call activity of the process itself → user task → end: each call starts again."""
    body = (
        '    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        f'    <bpmn:callActivity id="appel" name="S\'appeler" calledElement="{key}">'
        "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:callActivity>\n"
        + USER_TASK.format(id="saisie", name="Saisir", incoming="f2", outgoing="f3")
        + '    <bpmn:endEvent id="fin"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="appel" />\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="appel" targetRef="saisie" />\n'
        '    <bpmn:sequenceFlow id="f3" sourceRef="saisie" targetRef="fin" />\n'
    )
    return _files(key, body, ["debut", "appel", "saisie", "fin"])


def test_a_process_stored_before_the_rule_that_calls_itself_stops_at_once(
    session: Session,
) -> None:
    files = calling_itself_at_once("appel_sans_fin")
    assert any("appel récursif" in problem for problem in check_files(files))
    version = store_unchecked(session, files)
    session.commit()
    with pytest.raises(ExecutionError, match="s'appelle lui-même sans fin"):
        starting.start_instance(session, actor(session, "demandeur@example.org"), key=version.key)
    session.rollback()


def test_a_repeating_timer_computed_without_bound_is_refused_when_reached(
    session: Session,
) -> None:
    files = repeating_reminder("relance_calculee", '"R/PT" + str(delai_complements_jours) + "S"')
    assert check_files(files) == []  # deployment cannot know the value
    version, _created = deploy(session, files)
    session.commit()
    with pytest.raises(ScriptError, match="minuterie répétée «\u00a0R/PT30S\u00a0» refusée"):
        starting.start_instance(session, actor(session, "demandeur@example.org"), key=version.key)
    session.rollback()
