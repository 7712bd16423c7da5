"""A dossier's status label follows one rule whatever changes it (a claim, a release, a
completion): a task someone took shows its `statutPrisEnCharge` first, else the oldest open
task's `statut`. And *Tous les dossiers* filters by every status the deployed processes give."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.models import RegisterEntry, RegisterStatus, User
from engine.definitions.deployment import deploy
from engine.workflow.actions.starting import start_instance
from tests.dossiers import open_item
from tests.support import Browser, text_of

NewBrowser = Callable[[], Browser]
KEY = "examen_double"
# Two examinations in parallel, each with its label, and its label once taken.
LABELS = {
    "examen_a": ("Examen A à faire", "Examen A en cours"),
    "examen_b": ("Examen B à faire", "Examen B en cours"),
}
END_LABEL = "Examens terminés"


def _task(task_id: str, incoming: str, outgoing: str) -> str:
    waiting, taken = LABELS[task_id]
    return f"""    <bpmn:userTask id="{task_id}" name="{task_id.replace("_", " ").capitalize()}">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="avis.schema.json" />
          <spiffworkflow:property name="statut" value="{waiting}" />
          <spiffworkflow:property name="statutPrisEnCharge" value="{taken}" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming>
      <bpmn:outgoing>{outgoing}</bpmn:outgoing>
    </bpmn:userTask>
"""


def parallel_examinations() -> dict[str, str]:
    nodes = ["debut", "partage", "examen_a", "examen_b", "jonction", "fin"]
    refs = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in nodes)
    flows = [
        ("f1", "debut", "partage"),
        ("f2", "partage", "examen_a"),
        ("f3", "partage", "examen_b"),
        ("f4", "examen_a", "jonction"),
        ("f5", "examen_b", "jonction"),
        ("f6", "jonction", "fin"),
    ]
    sequence_flows = "".join(
        f'    <bpmn:sequenceFlow id="{flow}" sourceRef="{source}" targetRef="{target}" />\n'
        for flow, source, target in flows
    )
    bpmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs_{KEY}" targetNamespace="http://example.org/inventaire">
  <bpmn:collaboration id="collab_{KEY}">
    <bpmn:participant id="participant_{KEY}" processRef="{KEY}" />
  </bpmn:collaboration>
  <bpmn:process id="{KEY}" isExecutable="true">
    <bpmn:laneSet id="lanes_{KEY}">
      <bpmn:lane id="lane_recevabilite" name="Recevabilité">{refs}</bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="partage"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
{_task("examen_a", "f2", "f4")}{_task("examen_b", "f3", "f5")}
    <bpmn:parallelGateway id="jonction"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="fin">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="statut" value="{END_LABEL}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f6</bpmn:incoming>
    </bpmn:endEvent>
{sequence_flows}  </bpmn:process>
</bpmn:definitions>
"""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Avis",
        "additionalProperties": False,
        "properties": {"avis": {"type": "string", "title": "Avis", "maxLength": 200}},
        "required": ["avis"],
    }
    config = {
        "key": KEY,
        "title": "Double examen",
        "process_id": KEY,
        "start_role": "recevabilite",
        "start_status": "Ouvert",
        "lanes": {"Recevabilité": {"role": "recevabilite"}},
    }
    return {
        "process.json": json.dumps(config),
        f"{KEY}.bpmn": bpmn,
        "forms/avis.schema.json": json.dumps(schema),
    }


def status_seen(browser: Browser, dossier_id: int) -> str:
    """The status a reader sees on the dossier's page (its badge)."""
    page = browser.get(f"/instruction/dossiers/{dossier_id}").get_data(as_text=True)
    badge = re.search(r'class="fr-badge[^"]*">([^<]+)<', page)
    assert badge, "the dossier's page shows its status"
    return html.unescape(badge.group(1).strip())


def test_claim_release_and_completion_give_the_same_label_for_the_same_state(
    browser_factory: NewBrowser, session: Session
) -> None:
    deploy(session, parallel_examinations())
    secretariat = session.scalar(select(User).where(User.email == "recevabilite@example.org"))
    assert secretariat is not None
    instance = start_instance(session, Actor.from_user(secretariat), KEY)
    session.commit()
    dossier_id = instance.id
    items = {task: open_item(session, dossier_id, task) for task in LABELS}
    older, newer = sorted(LABELS, key=lambda task: items[task])
    browser = browser_factory()
    browser.login("recevabilite@example.org")

    def act(task: str, action: str) -> None:
        url = f"/instruction/taches/{items[task]}"
        if action == "traiter":
            response = browser.post(url, {"avis": "Favorable"}, content_type="multipart/form-data")
        else:
            response = browser.post(f"{url}/{action}", from_page=url)
        assert response.status_code == 302, text_of(response)[:800]

    waiting, taken = 0, 1
    assert status_seen(browser, dossier_id) == LABELS[older][waiting]
    # The newer task taken: the work in progress shows, though an older one waits.
    act(newer, "prendre")
    assert status_seen(browser, dossier_id) == LABELS[newer][taken]
    act(newer, "liberer")
    assert status_seen(browser, dossier_id) == LABELS[older][waiting]
    act(older, "prendre")
    assert status_seen(browser, dossier_id) == LABELS[older][taken]
    # Completing the older one leaves the newer, not taken: its label, as a release gives.
    act(older, "traiter")
    assert status_seen(browser, dossier_id) == LABELS[newer][waiting]
    act(newer, "prendre")
    assert status_seen(browser, dossier_id) == LABELS[newer][taken]
    act(newer, "traiter")
    assert status_seen(browser, dossier_id) == END_LABEL
    # Each change is in the dossier's history, as the submitter would read it.
    history = text_of(browser.get(f"/instruction/dossiers/{dossier_id}"))
    assert f"Statut : {LABELS[newer][taken]}." in history


def test_every_status_of_the_deployed_processes_filters_all_dossiers(
    browser_factory: NewBrowser, session: Session
) -> None:
    session.add(
        RegisterEntry(
            numero="INV09002",
            intitule="Pilotage de drones de prise de vue",
            categorie="C",
            certificateurs={"certificateurs": [{"nom": "Ministère", "siret": "11000201100044"}]},
            autorite_legitime="Ministère du Travail et de l'Emploi",
            content={},
            statut=RegisterStatus.ACTIVE,
        )
    )
    session.commit()
    commission = browser_factory()
    commission.login("commission@example.org")
    opened = commission.post("/registre/INV09002/retrait", from_page="/registre/INV09002")
    assert opened.status_code == 302
    submitter = browser_factory()
    submitter.login("demandeur@example.org")
    assert submitter.post("/demandes/nouvelle", from_page="/demandes/").status_code == 302

    page = commission.get("/instruction/dossiers").get_data(as_text=True)
    offered = [html.unescape(label) for label in re.findall(r'<option value="([^"]+)"', page)]
    for label in (
        "Retrait envisagé",
        "Observations du certificateur attendues",
        "Décision de la commission attendue",
        "Certification retirée",
        "Certification maintenue",
        "Brouillon",
        "En examen de recevabilité",
        "Recensée",
        "En erreur",
    ):
        assert label in offered, label

    filtered = commission.get("/instruction/dossiers", query_string={"statut": "Retrait envisagé"})
    shown = text_of(filtered)
    assert "RET-INV09002-" in shown and "Dossiers (1)" in shown
    assert "Brouillon" not in re.sub(r"<option[^>]*>[^<]*</option>", "", filtered.text)
    assert '<option value="Retrait envisagé" selected>' in filtered.get_data(as_text=True)
