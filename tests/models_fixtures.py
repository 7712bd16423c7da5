"""Small purpose-made process models for tests (one feature each), built as file mappings."""

from __future__ import annotations

import json

FORM_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Tour",
    "additionalProperties": False,
    "properties": {
        "continuer": {
            "type": "string",
            "title": "Continuer\u202f?",
            "oneOf": [{"const": "oui", "title": "Oui"}, {"const": "non", "title": "Non"}],
        }
    },
    "required": ["continuer"],
}

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs_{key}" targetNamespace="http://example.org/inventaire">
  <bpmn:collaboration id="collab_{key}">
    <bpmn:participant id="participant_{key}" processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:laneSet id="lanes_{key}">
      <bpmn:lane id="lane_demandeur" name="Demandeur">
        {lane_refs}
      </bpmn:lane>
    </bpmn:laneSet>
"""
FOOTER = """  </bpmn:process>
</bpmn:definitions>
"""

USER_TASK = """    <bpmn:userTask id="{id}" name="{name}">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="tour.schema.json" />
          <spiffworkflow:property name="statut" value="Brouillon" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming>
      <bpmn:outgoing>{outgoing}</bpmn:outgoing>
    </bpmn:userTask>
"""


def _files(key: str, body: str, lane_nodes: list[str]) -> dict[str, str]:
    refs = "\n        ".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in lane_nodes)
    bpmn = HEADER.format(key=key, lane_refs=refs) + body + FOOTER
    config = {
        "key": key,
        "title": f"Test {key}",
        "process_id": key,
        "lanes": {"Demandeur": {"role": "demandeur", "scope": "organisation"}},
    }
    return {
        "process.json": json.dumps(config),
        f"{key}.bpmn": bpmn,
        "forms/tour.schema.json": json.dumps(FORM_SCHEMA),
    }


def script_after_task(key: str, script: str) -> dict[str, str]:
    """start → user task `saisie` → script task `calcul` (the given code) → end."""
    body = (
        '    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + USER_TASK.format(id="saisie", name="Saisir", incoming="f1", outgoing="f2")
        + '    <bpmn:scriptTask id="calcul" name="Calculer"><bpmn:incoming>f2</bpmn:incoming>'
        "<bpmn:outgoing>f3</bpmn:outgoing>"
        f"<bpmn:script>{_xml(script)}</bpmn:script></bpmn:scriptTask>\n"
        '    <bpmn:endEvent id="fin"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisie" />\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="calcul" />\n'
        '    <bpmn:sequenceFlow id="f3" sourceRef="calcul" targetRef="fin" />\n'
    )
    return _files(key, body, ["debut", "saisie", "calcul", "fin"])


def condition_after_task(key: str, condition: str) -> dict[str, str]:
    """start → user task → gateway with `condition` (and a default) → two ends."""
    body = (
        '    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + USER_TASK.format(id="saisie", name="Saisir", incoming="f1", outgoing="f2")
        + '    <bpmn:exclusiveGateway id="choix" name="Choix" default="f4">'
        "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>"
        "<bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '    <bpmn:endEvent id="fin_a"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:endEvent id="fin_b"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisie" />\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="choix" />\n'
        '    <bpmn:sequenceFlow id="f3" sourceRef="choix" targetRef="fin_a">'
        f"<bpmn:conditionExpression>{_xml(condition)}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        '    <bpmn:sequenceFlow id="f4" sourceRef="choix" targetRef="fin_b" />\n'
    )
    return _files(key, body, ["debut", "saisie", "choix", "fin_a", "fin_b"])


def human_loop(key: str) -> dict[str, str]:
    """start → `tours = 0` → merge → user task `tour` → script `compter` → gateway: loops back
    while the user answers `continuer = oui` (four nodes a pass)."""
    body = (
        '    <bpmn:startEvent id="debut"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        '    <bpmn:scriptTask id="initialiser" name="Initialiser"><bpmn:incoming>f0</bpmn:incoming>'
        "<bpmn:outgoing>f1</bpmn:outgoing><bpmn:script>tours = 0</bpmn:script></bpmn:scriptTask>\n"
        '    <bpmn:exclusiveGateway id="entree" default="f2"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        + USER_TASK.format(id="tour", name="Faire un tour", incoming="f2", outgoing="f3")
        + '    <bpmn:scriptTask id="compter" name="Compter"><bpmn:incoming>f3</bpmn:incoming>'
        "<bpmn:outgoing>f4</bpmn:outgoing>"
        "<bpmn:script>tours = tours + 1</bpmn:script></bpmn:scriptTask>\n"
        '    <bpmn:exclusiveGateway id="encore" name="Encore ?" default="f6">'
        "<bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>"
        "<bpmn:outgoing>f6</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '    <bpmn:endEvent id="fin"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="f0" sourceRef="debut" targetRef="initialiser" />\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="initialiser" targetRef="entree" />\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="entree" targetRef="tour" />\n'
        '    <bpmn:sequenceFlow id="f3" sourceRef="tour" targetRef="compter" />\n'
        '    <bpmn:sequenceFlow id="f4" sourceRef="compter" targetRef="encore" />\n'
        '    <bpmn:sequenceFlow id="f5" sourceRef="encore" targetRef="entree">'
        '<bpmn:conditionExpression>continuer == "oui"</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>\n"
        '    <bpmn:sequenceFlow id="f6" sourceRef="encore" targetRef="fin" />\n'
    )
    return _files(key, body, ["debut", "initialiser", "entree", "tour", "compter", "encore", "fin"])


def automatic_loop(key: str) -> dict[str, str]:
    """start → user task → script `tourner` → gateway that loops back to the script forever."""
    body = (
        '    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + USER_TASK.format(id="saisie", name="Saisir", incoming="f1", outgoing="f2")
        + '    <bpmn:exclusiveGateway id="entree" default="f3"><bpmn:incoming>f2</bpmn:incoming>'
        "<bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '    <bpmn:scriptTask id="tourner" name="Tourner"><bpmn:incoming>f3</bpmn:incoming>'
        "<bpmn:outgoing>f4</bpmn:outgoing><bpmn:script>continuer = &quot;oui&quot;</bpmn:script>"
        "</bpmn:scriptTask>\n"
        '    <bpmn:exclusiveGateway id="encore" default="f6"><bpmn:incoming>f4</bpmn:incoming>'
        "<bpmn:outgoing>f5</bpmn:outgoing><bpmn:outgoing>f6</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '    <bpmn:endEvent id="fin"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisie" />\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="entree" />\n'
        '    <bpmn:sequenceFlow id="f3" sourceRef="entree" targetRef="tourner" />\n'
        '    <bpmn:sequenceFlow id="f4" sourceRef="tourner" targetRef="encore" />\n'
        '    <bpmn:sequenceFlow id="f5" sourceRef="encore" targetRef="entree">'
        '<bpmn:conditionExpression>continuer == "oui"</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>\n"
        '    <bpmn:sequenceFlow id="f6" sourceRef="encore" targetRef="fin" />\n'
    )
    return _files(key, body, ["debut", "saisie", "entree", "tourner", "encore", "fin"])


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def timer_after_task(key: str, expression: str) -> dict[str, str]:
    """start → user task → intermediate timer (`expression` as its duration) → end."""
    body = (
        '    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + USER_TASK.format(id="saisie", name="Saisir", incoming="f1", outgoing="f2")
        + '    <bpmn:intermediateCatchEvent id="attendre" name="Attendre">'
        "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>"
        '<bpmn:timerEventDefinition id="minuterie">'
        f"<bpmn:timeDuration>{_xml(expression)}</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n"
        '    <bpmn:endEvent id="fin"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisie" />\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="attendre" />\n'
        '    <bpmn:sequenceFlow id="f3" sourceRef="attendre" targetRef="fin" />\n'
    )
    return _files(key, body, ["debut", "saisie", "attendre", "fin"])
