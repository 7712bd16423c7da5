"""Deployment rules: one purpose-made bad model per rule, hostile XML, and the CLI verdict."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.definitions.checking import check_files
from tests.models_fixtures import (
    automatic_loop,
    condition_after_task,
    human_loop,
    script_after_task,
    timer_after_task,
)

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "recensement"


def _replace(files: dict[str, str], old: str, new: str) -> dict[str, str]:
    name = next(key for key in files if key.endswith(".bpmn"))
    assert old in files[name], old
    return {**files, name: files[name].replace(old, new)}


def _business_rule(decision: str) -> dict[str, str]:
    return _replace(
        _replace(
            script_after_task("regle", "x = 1"),
            '<bpmn:scriptTask id="calcul" name="Calculer">',
            '<bpmn:businessRuleTask id="calcul" name="Calculer"><bpmn:extensionElements>'
            f"<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>"
            "</bpmn:extensionElements>",
        ),
        "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>",
        "</bpmn:businessRuleTask>",
    )


def _event_subprocess(interrupting: str) -> dict[str, str]:
    return _replace(
        script_after_task("evenementiel", "x = 1"),
        '    <bpmn:endEvent id="fin">',
        '    <bpmn:subProcess id="sur_signal" name="Sur signal" triggeredByEvent="true">'
        f'<bpmn:startEvent id="signal_recu" isInterrupting="{interrupting}">'
        '<bpmn:outgoing>fs</bpmn:outgoing><bpmn:signalEventDefinition id="sig" /></bpmn:startEvent>'
        '<bpmn:endEvent id="fin_signal"><bpmn:incoming>fs</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="fs" sourceRef="signal_recu" targetRef="fin_signal" />'
        "</bpmn:subProcess>\n"
        '    <bpmn:endEvent id="fin">',
    )


def _complex_gateway() -> dict[str, str]:
    files = _replace(
        condition_after_task("complexe", 'continuer == "oui"'),
        '<bpmn:exclusiveGateway id="choix" name="Choix" default="f4">',
        '<bpmn:complexGateway id="choix" name="Choix" default="f4">',
    )
    return _replace(files, "</bpmn:exclusiveGateway>", "</bpmn:complexGateway>")


BAD_MODELS = {
    "user task outside any lane": (
        _replace(
            script_after_task("hors_couloir", "x = 1"),
            "<bpmn:flowNodeRef>saisie</bpmn:flowNodeRef>",
            "",
        ),
        "saisie: «\u00a0Saisir\u00a0» tâche humaine hors d'un couloir associé à un rôle",
    ),
    "lane mapped to no role": (
        {
            **script_after_task("sans_role", "x = 1"),
            "process.json": json.dumps(
                {"key": "sans_role", "process_id": "sans_role", "lanes": {}}
            ),
        },
        "saisie: «\u00a0Saisir\u00a0» tâche humaine hors d'un couloir associé à un rôle "
        "(couloir\u00a0: «\u00a0Demandeur\u00a0»)",
    ),
    "lane mapped to an unknown role": (
        {
            **script_after_task("role_inconnu", "x = 1"),
            "process.json": json.dumps(
                {"key": "role_inconnu", "lanes": {"Demandeur": {"role": "astronaute"}}}
            ),
        },
        "process.json: le couloir «\u00a0Demandeur\u00a0» renvoie au rôle inconnu "
        "«\u00a0astronaute\u00a0»",
    ),
    "user task without a form": (
        _replace(
            script_after_task("sans_formulaire", "x = 1"),
            '<spiffworkflow:property name="formJsonSchemaFilename" value="tour.schema.json" />',
            "",
        ),
        "saisie: «\u00a0Saisir\u00a0» tâche humaine sans formulaire",
    ),
    "form file missing": (
        {
            key: value
            for key, value in script_after_task("formulaire_absent", "x = 1").items()
            if not key.startswith("forms/")
        },
        "saisie: Le fichier de formulaire «\u00a0tour.schema.json\u00a0» est introuvable.",
    ),
    "form that is not valid JSON Schema": (
        {
            **script_after_task("schema_invalide", "x = 1"),
            "forms/tour.schema.json": json.dumps(
                {"type": "object", "properties": {"x": {"type": "banane"}}}
            ),
        },
        "saisie: ",
    ),
    "exclusive gateway without default": (
        _replace(
            _replace(
                condition_after_task("sans_defaut", 'continuer == "oui"'), ' default="f4"', ""
            ),
            '<bpmn:sequenceFlow id="f4" sourceRef="choix" targetRef="fin_b" />',
            '<bpmn:sequenceFlow id="f4" sourceRef="choix" targetRef="fin_b">'
            '<bpmn:conditionExpression>continuer == "non"</bpmn:conditionExpression>'
            "</bpmn:sequenceFlow>",
        ),
        "choix: «\u00a0Choix\u00a0» passerelle exclusive sans flux par défaut",
    ),
    "condition that does not compile": (
        condition_after_task("condition_cassee", "continuer == "),
        "choix: «\u00a0Choix\u00a0» condition ou expression refusée",
    ),
    "script refused by the sandbox": (
        script_after_task("script_refuse", "import os"),
        "calcul: «\u00a0Calculer\u00a0» script refusé\u00a0: Code refusé par le bac à "
        "sable\u00a0: les imports",
    ),
    "called decision missing": (
        _business_rule("inconnue"),
        "calcul: tâche de décision «\u00a0Calculer\u00a0» appelle la table de décision "
        "«\u00a0inconnue\u00a0»",
    ),
    "called process missing": (
        _replace(
            _replace(
                script_after_task("appel", "x = 1"),
                '<bpmn:scriptTask id="calcul" name="Calculer">',
                '<bpmn:callActivity id="calcul" name="Calculer" calledElement="absent">',
            ),
            "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>",
            "</bpmn:callActivity>",
        ),
        "calcul: processus appelé «\u00a0absent\u00a0» introuvable",
    ),
    "timer that is not ISO 8601": (
        timer_after_task("minuterie_texte", '"dans trente jours"'),
        "attendre: «\u00a0Attendre\u00a0» minuterie «\u00a0dans trente jours\u00a0»\u00a0: ce "
        "n'est pas un texte ISO 8601",
    ),
    "timer expression without quotes": (
        timer_after_task("minuterie_nombre", "30"),
        "attendre: «\u00a0Attendre\u00a0» l'expression de minuterie doit donner un texte ISO 8601 "
        "entre guillemets",
    ),
    "interrupting event sub-process": (
        _event_subprocess("true"),
        "sur_signal: «\u00a0Sur signal\u00a0» sous-processus événementiel interrompant",
    ),
    "unsupported element": (
        _complex_gateway(),
        "choix: «\u00a0Choix\u00a0» passerelle complexe non exécutée par le moteur",
    ),
    "loop without a bound": (
        automatic_loop("boucle"),
        "boucle sans tâche humaine ni minuterie",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_each_rule_refuses_its_bad_model(case: str) -> None:
    files, expected = BAD_MODELS[case]
    problems = check_files(files)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "files",
    [
        script_after_task("bon_script", "x = 1"),
        condition_after_task("bonne_condition", 'continuer == "oui"'),
        timer_after_task("bonne_minuterie", '"P30D"'),
        timer_after_task("minuterie_variable", "duree_en_jours(delai_complements_jours)"),
        human_loop("boucle_humaine"),
        _event_subprocess("false"),
    ],
)
def test_sound_models_are_deployable(files: dict[str, str]) -> None:
    assert check_files(files) == []


def test_the_recensement_is_deployable() -> None:
    from engine.definitions.folders import read_folder

    assert check_files(read_folder(PROCESS)) == []


HOSTILE = {
    "external entity": (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;'
        "</bpmn:definitions>",
        "les DTD et entités XML sont refusées",
    ),
    "entity expansion": (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">' for i in range(9)
        )
        + ']><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&a8;'
        "</bpmn:definitions>",
        "les DTD et entités XML sont refusées",
    ),
    "50 MB": (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        + "<!--"
        + "x" * (50 * 1024 * 1024)
        + "-->"
        + "</bpmn:definitions>",
        "fichier trop volumineux",
    ),
    "malformed": ("<bpmn:definitions", "XML mal formé"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_xml_is_refused_within_a_second(case: str) -> None:
    text, expected = HOSTILE[case]
    files = {**script_after_task("hostile", "x = 1"), "hostile.bpmn": text}
    started = time.perf_counter()
    problems = check_files(files)
    elapsed = time.perf_counter() - started
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith("hostile.bpmn: ") for problem in problems)
    assert elapsed < 1.0


def test_check_command_exit_codes_and_lines(tmp_path: Path) -> None:
    from web.cli import main

    runner = CliRunner()
    good = runner.invoke(main, ["processes", "check", str(PROCESS)])
    assert good.exit_code == 0, good.output
    bad = tmp_path / "boucle.bpmn"
    files = automatic_loop("boucle")
    bad.write_text(files["boucle.bpmn"])
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "tour.schema.json").write_text(files["forms/tour.schema.json"])
    result = runner.invoke(main, ["processes", "check", str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith("encore: ")
    garbage = tmp_path / "garbage.bpmn"
    garbage.write_bytes(b"\x00\xff\xfe garbage")
    missing = tmp_path / "absent.bpmn"
    result = runner.invoke(main, ["processes", "check", str(garbage), str(missing)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("garbage.bpmn: ") and lines[-1].startswith(f"{missing}: ")
