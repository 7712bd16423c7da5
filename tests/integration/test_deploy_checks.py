"""Deployment checks that stop a model before a dossier meets the mistake: names the process
never sets (decision tables, conditions, timers, scripts), processes calling themselves, timers
repeating without bound, task instructions that are not valid templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.errors import ProcessModelError
from engine.core.models import InstanceStatus, User, WorkItem
from engine.definitions.checking import check_files
from engine.definitions.definition import definition_for
from engine.definitions.deployment import deploy
from engine.definitions.folders import read_folder
from engine.definitions.known_names import REGISTER_START_VARIABLES, START_VARIABLES
from engine.workflow import state
from engine.workflow.actions import completing, starting
from tests.models_fixtures import condition_after_task, script_after_task, timer_after_task
from tests.support import Browser, text_of

ROOT = Path(__file__).resolve().parents[2]
UNKNOWN = (
    "(ni champ de formulaire, ni variable du processus)\u202f; corrigez le nom, ou faites-le "
    "remplir par un formulaire ou un script d'une étape précédente"
)


def _replace(files: dict[str, str], old: str, new: str, name: str | None = None) -> dict[str, str]:
    name = name or next(key for key in files if key.endswith(".bpmn"))
    assert old in files[name], old
    return {**files, name: files[name].replace(old, new)}


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- decision tables --------------------------------------------------------------------------

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_suite"
  name="Suite" namespace="http://example.org/inventaire">
  <decision id="choix_suite" name="Choix de la suite">
    <decisionTable id="table_suite" hitPolicy="UNIQUE">
      <input id="entree" label="Continuer">
        <inputExpression id="expression" typeRef="string"><text>{input}</text></inputExpression>
      </input>
      <output id="sortie" label="Suite" name="suite" typeRef="string" />
      <rule id="r1">
        <inputEntry id="r1_entree"><text>{entry1}</text></inputEntry>
        <outputEntry id="r1_sortie"><text>{output1}</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="r2_entree"><text>{entry2}</text></inputEntry>
        <outputEntry id="r2_sortie"><text>{output2}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def decision_model(
    key: str,
    *,
    input: str = "continuer",
    entry1: str = '"oui"',
    entry2: str = "-",
    output1: str = '"encore"',
    output2: str = '"fin"',
) -> dict[str, str]:
    """start → user task `saisie` → business rule task `calcul` (table_suite) → gateway on the
    table's output `suite` → two ends."""
    files = condition_after_task(key, 'suite == "encore"')
    files = _replace(
        files,
        '<bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="choix" />',
        '<bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="calcul" />'
        '<bpmn:businessRuleTask id="calcul" name="Calculer"><bpmn:extensionElements>'
        "<spiffworkflow:calledDecisionId>choix_suite</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming>"
        "<bpmn:outgoing>f2b</bpmn:outgoing></bpmn:businessRuleTask>"
        '<bpmn:sequenceFlow id="f2b" sourceRef="calcul" targetRef="choix" />',
    )
    files = _replace(
        files,
        "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>",
        "<bpmn:incoming>f2b</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>",
    )
    files = _replace(
        files,
        "<bpmn:flowNodeRef>choix</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>calcul</bpmn:flowNodeRef><bpmn:flowNodeRef>choix</bpmn:flowNodeRef>",
    )
    cells = {"input": input, "entry1": entry1, "entry2": entry2}
    cells |= {"output1": output1, "output2": output2}
    files["suite.dmn"] = DMN.format(**{name: _xml(text) for name, text in cells.items()})
    return files


TABLE = "calcul: «\u00a0Calculer\u00a0» table de décision «\u00a0table_suite\u00a0»"

BAD_DECISIONS = {
    "entry naming an unknown variable": (
        {"entry2": "foo"},
        f"{TABLE}, règle 2\u00a0: nom inconnu «\u00a0foo\u00a0» {UNKNOWN}",
    ),
    "entry with ? naming an unknown variable": (
        {"entry2": "? != seuil"},
        f"{TABLE}, règle 2\u00a0: nom inconnu «\u00a0seuil\u00a0» {UNKNOWN}",
    ),
    "entry with an operator naming an unknown variable": (
        {"entry1": "!= limite"},
        f"{TABLE}, règle 1\u00a0: nom inconnu «\u00a0limite\u00a0» {UNKNOWN}",
    ),
    "entry glued to the input expression": (
        # The engine evaluates `continuer` + `in ["oui"]`: the name `continuerin`.
        {"entry1": 'in ["oui"]'},
        f"{TABLE}, règle 1\u00a0: nom inconnu «\u00a0continuerin\u00a0» {UNKNOWN}",
    ),
    "entry that does not compile": (
        {"entry2": '"oui" ('},
        f"{TABLE}, règle 2\u00a0: expression refusée",
    ),
    "entry refused by the sandbox": (
        {"entry1": "().__class__"},
        f"{TABLE}, règle 1\u00a0: expression refusée\u00a0: Code refusé par le bac à sable",
    ),
    "input expression naming an unknown variable": (
        {"input": "continuation"},
        f"{TABLE}, entrée «\u00a0Continuer\u00a0»\u00a0: nom inconnu «\u00a0continuation\u00a0» "
        f"{UNKNOWN}",
    ),
    "input expression refused by the sandbox": (
        {"input": "__import__('os')"},
        f"{TABLE}, entrée «\u00a0Continuer\u00a0»\u00a0: expression refusée\u00a0: Code refusé "
        "par le bac à sable",
    ),
    "output entry naming an unknown variable": (
        {"output1": "suite_prevue"},
        f"{TABLE}, règle 1, sortie «\u00a0suite\u00a0»\u00a0: nom inconnu "
        f"«\u00a0suite_prevue\u00a0» {UNKNOWN}",
    ),
    "output entry opening a file": (
        {"output2": "open('/etc/passwd').read()"},
        f"{TABLE}, règle 2, sortie «\u00a0suite\u00a0»\u00a0: nom inconnu «\u00a0open\u00a0» "
        f"{UNKNOWN}",
    ),
    "output entry refused by the sandbox": (
        {"output2": "().__class__.__bases__"},
        f"{TABLE}, règle 2, sortie «\u00a0suite\u00a0»\u00a0: expression refusée",
    ),
    "output entry reading the table's own output": (
        {"output1": '"encore" if suite else "fin"'},
        f"{TABLE}, règle 1, sortie «\u00a0suite\u00a0»\u00a0: nom inconnu «\u00a0suite\u00a0» "
        "(seul cet élément "
        "l'affecte, après l'avoir lu)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_DECISIONS))
def test_a_mistake_in_a_decision_table_is_refused(session: Session, case: str) -> None:
    cells, expected = BAD_DECISIONS[case]
    files = decision_model("decision_fautive", **cells)
    problems = check_files(files)
    assert any(problem.startswith(expected) for problem in problems), problems
    with pytest.raises(ProcessModelError) as refused:
        deploy(session, files)
    assert any(problem.startswith(expected) for problem in refused.value.problems)
    session.rollback()


def test_a_column_refused_or_without_expression_is_reported_once() -> None:
    refused = check_files(decision_model("colonne_refusee", input="().__class__", entry2='"non"'))
    assert len(refused) == 1 and refused[0].startswith(
        f"{TABLE}, entrée «\u00a0Continuer\u00a0»\u00a0: expression refusée"
    ), refused
    files = decision_model("colonne_vide", entry2='"non"')
    files["suite.dmn"] = files["suite.dmn"].replace("<text>continuer</text>", "")
    assert check_files(files) == [
        f"{TABLE}, entrée «\u00a0Continuer\u00a0»\u00a0: pas d'expression d'entrée"
    ]


SOUND_DECISIONS = {
    "the default cells": ({}, "fin_a"),
    "an entry with ?": ({"entry1": '? == "oui"', "entry2": '"non"'}, "fin_a"),
    "an entry with an operator": (
        {"entry1": '!= "non"', "output1": "continuer.upper()"},
        "fin_b",  # suite == "OUI"
    ),
    "an entry glued after a space": (
        {"entry1": ' in ["oui", "peut-être"]', "output2": "organisation_id or 0"},
        "fin_a",
    ),
    "a computed input": (
        {"input": "len(continuer)", "entry1": "> 2", "output1": '"encore" if continuer else ""'},
        "fin_a",
    ),
}


@pytest.mark.parametrize("case", sorted(SOUND_DECISIONS))
def test_a_sound_decision_table_is_deployable_and_runs_as_checked(
    session: Session, case: str
) -> None:
    """What the check accepts, the engine runs: the dossier ends where the table sends it."""
    cells, end = SOUND_DECISIONS[case]
    files = decision_model(f"decision_saine_{sorted(SOUND_DECISIONS).index(case)}", **cells)
    assert check_files(files) == []
    version, _created = deploy(session, files)
    submitter = session.scalar(select(User).where(User.email == "demandeur@example.org"))
    assert submitter is not None
    actor = Actor.from_user(submitter)
    instance = starting.start_instance(session, actor, key=version.key)
    item = session.scalar(select(WorkItem).where(WorkItem.instance_id == instance.id))
    assert item is not None
    completing.complete_work_item(session, actor, item.id, {"continuer": "oui"})
    session.commit()  # a version stays once deployed (definitions are cached by version id)
    assert (instance.status, instance.end_event) == (InstanceStatus.COMPLETED, end)


def test_the_recensement_with_a_misspelt_decision_cell_is_refused_everywhere(
    browser: Browser, session: Session, tmp_path: Path, restore: None
) -> None:
    """The same verdict from the command, the studio's *Valider* and a deployment."""
    from web.cli import main

    files = read_folder(ROOT / "processes" / "recensement")
    files = _replace(
        files,
        '<text>"ministere"</text>',
        "<text>type_organisaton</text>",
        name="prequalification.dmn",
    )
    expected = (
        "prequalifier_demandeur: «\u00a0Préqualifier le demandeur\u00a0» table de décision "
        "«\u00a0table_prequalification\u00a0», règle 1\u00a0: nom inconnu "
        "«\u00a0type_organisaton\u00a0» "
        f"{UNKNOWN}"
    )
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    result = CliRunner().invoke(main, ["processes", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert expected in result.output.splitlines()

    browser.login("proprietaire@example.org")
    draft = browser.get("/studio/api/recensement/brouillon").get_json()
    saved = browser.client.put(
        "/studio/api/recensement/brouillon",
        json={"files": files, "lock_version": draft["lock_version"]},
        headers={"X-CSRFToken": browser.csrf("/studio/recensement/")},
    )
    assert saved.status_code == 200
    checked = browser.post("/studio/recensement/verification", from_page="/studio/recensement/")
    page = text_of(checked)
    assert "n'est pas déployable" in page
    assert "nom inconnu « type_organisaton »" in page

    with pytest.raises(ProcessModelError) as refused:
        deploy(session, files)
    assert expected in refused.value.problems


# --- conditions, timers, scripts ----------------------------------------------------------------


BAD_NAMES = {
    "condition": (
        condition_after_task("condition_inconnue", 'continu == "oui"'),
        f"choix: «\u00a0Choix\u00a0» condition\u00a0: nom inconnu «\u00a0continu\u00a0» {UNKNOWN}",
    ),
    "timer expression": (
        timer_after_task("minuterie_inconnue", "duree_en_jours(delai_inconnu)"),
        "attendre: «\u00a0Attendre\u00a0» minuterie\u00a0: nom inconnu "
        f"«\u00a0delai_inconnu\u00a0» {UNKNOWN}",
    ),
    "script": (
        script_after_task("script_inconnu", "total = montant + 1"),
        f"calcul: «\u00a0Calculer\u00a0» script\u00a0: nom inconnu «\u00a0montant\u00a0» {UNKNOWN}",
    ),
    "script reading a name before assigning it": (
        script_after_task("script_desordre", "b = a + 1\na = 1"),
        "calcul: «\u00a0Calculer\u00a0» script\u00a0: nom inconnu «\u00a0a\u00a0» (seul cet "
        "élément l'affecte, après l'avoir lu)\u202f; donnez-lui une valeur avant de le lire",
    ),
    "script opening a file": (
        script_after_task("script_fichier", "contenu = open('/etc/passwd').read()"),
        f"calcul: «\u00a0Calculer\u00a0» script\u00a0: nom inconnu «\u00a0open\u00a0» {UNKNOWN}",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_NAMES))
def test_code_reading_a_name_the_process_never_sets_is_refused(case: str) -> None:
    files, expected = BAD_NAMES[case]
    assert expected in check_files(files)


def test_a_field_kept_in_the_dossier_only_is_not_a_process_variable() -> None:
    files = condition_after_task("champ_dossier", 'continuer == "oui"')
    files["forms/tour.ui.json"] = json.dumps({"continuer": {"ui:storage": "dossier"}})
    files = _replace(
        files,
        '<spiffworkflow:property name="formJsonSchemaFilename" value="tour.schema.json" />',
        '<spiffworkflow:property name="formJsonSchemaFilename" value="tour.schema.json" />'
        '<spiffworkflow:property name="formUiSchemaFilename" value="tour.ui.json" />',
    )
    problems = check_files(files)
    assert (
        "choix: «\u00a0Choix\u00a0» condition\u00a0: nom inconnu «\u00a0continuer\u00a0» (champ "
        "conservé au dossier, «\u00a0ui:storage\u00a0»\u00a0: «\u00a0dossier\u00a0», pas une "
        "variable du processus)"
    ) in problems


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            script_after_task("script_return", "return 1"),
            "calcul: «\u00a0Calculer\u00a0» script refusé",
        ),
        (
            script_after_task("script_break", "break"),
            "calcul: «\u00a0Calculer\u00a0» script refusé",
        ),
        (
            condition_after_task("condition_yield", "(yield continuer)"),
            "choix: «\u00a0Choix\u00a0» condition ou expression refusée",
        ),
        (
            decision_model("cellule_yield", entry1="(yield 1)"),
            f"{TABLE}, règle 1\u00a0: expression refusée",
        ),
    ],
)
def test_code_python_compiles_only_in_a_function_is_refused_without_a_crash(
    files: dict[str, str], expected: str
) -> None:
    """`return`, `break` or `yield` outside a function pass the parser but not the compiler."""
    assert any(problem.startswith(expected) for problem in check_files(files))


def test_the_studio_names_such_code_instead_of_failing(browser: Browser, restore: None) -> None:
    browser.login("proprietaire@example.org")
    draft = browser.get("/studio/api/recensement/brouillon").get_json()
    files = dict(draft["files"])
    files = _replace(
        files, "<bpmn:script>tours_complements = 0", "<bpmn:script>break\ntours_complements = 0"
    )
    saved = browser.client.put(
        "/studio/api/recensement/brouillon",
        json={"files": files, "lock_version": draft["lock_version"]},
        headers={"X-CSRFToken": browser.csrf("/studio/recensement/")},
    )
    assert saved.status_code == 200
    checked = browser.post("/studio/recensement/verification", from_page="/studio/recensement/")
    assert checked.status_code == 200
    page = text_of(checked)
    assert "n'est pas déployable" in page
    assert "initialiser_compteur : « Initialiser le compteur et les délais » script refusé" in page


@pytest.mark.parametrize(
    "files",
    [
        script_after_task("lit_ce_quil_ecrit", "a = 1\nb = [a * n for n in range(3)]"),
        script_after_task("lit_le_depart", "jours = delai_complements_jours + 1"),
        script_after_task("aides", "fin = ajouter_jours(aujourdhui(), 30)\nn = len(str(fin))"),
        condition_after_task("lit_un_champ", 'continuer == "oui" and organisation_id'),
        timer_after_task("lit_le_delai", "duree_en_jours(delai_complements_jours)"),
    ],
)
def test_code_reading_known_names_is_deployable(files: dict[str, str]) -> None:
    assert check_files(files) == []


@pytest.mark.parametrize("folder", ["recensement", "retrait"])
def test_the_real_processes_stay_deployable(folder: str) -> None:
    assert check_files(read_folder(ROOT / "processes" / folder)) == []


# --- processes calling themselves -------------------------------------------------------------


def _calling(key: str, called: str) -> dict[str, str]:
    """The script task `calcul` of script_after_task turned into a call of `called`."""
    files = _replace(
        script_after_task(key, "x = 1"),
        '<bpmn:scriptTask id="calcul" name="Calculer">',
        f'<bpmn:callActivity id="calcul" name="Calculer" calledElement="{called}">',
    )
    return _replace(
        files, "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>", "</bpmn:callActivity>"
    )


ANNEXE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="defs_annexe" targetNamespace="http://example.org/inventaire">
  <bpmn:process id="annexe" isExecutable="true">
    <bpmn:startEvent id="annexe_debut"><bpmn:outgoing>a1</bpmn:outgoing></bpmn:startEvent>
    {middle}
    <bpmn:endEvent id="annexe_fin"><bpmn:incoming>a2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
CALL_BACK = (
    '<bpmn:callActivity id="rappel" name="Rappeler" calledElement="{key}">'
    "<bpmn:incoming>a1</bpmn:incoming><bpmn:outgoing>a2</bpmn:outgoing></bpmn:callActivity>"
    '<bpmn:sequenceFlow id="a1" sourceRef="annexe_debut" targetRef="rappel" />'
    '<bpmn:sequenceFlow id="a2" sourceRef="rappel" targetRef="annexe_fin" />'
)
SCRIPT = (
    '<bpmn:scriptTask id="noter" name="Noter"><bpmn:incoming>a1</bpmn:incoming>'
    "<bpmn:outgoing>a2</bpmn:outgoing><bpmn:script>note = 1</bpmn:script></bpmn:scriptTask>"
    '<bpmn:sequenceFlow id="a1" sourceRef="annexe_debut" targetRef="noter" />'
    '<bpmn:sequenceFlow id="a2" sourceRef="noter" targetRef="annexe_fin" />'
)


def test_a_process_calling_itself_is_refused(session: Session) -> None:
    files = _calling("recursif", "recursif")
    expected = "calcul: «\u00a0Calculer\u00a0» appel récursif\u00a0: recursif → recursif"
    assert any(problem.startswith(expected) for problem in check_files(files)), check_files(files)
    with pytest.raises(ProcessModelError) as refused:
        deploy(session, files)
    assert any(problem.startswith(expected) for problem in refused.value.problems)
    session.rollback()


def test_a_process_calling_itself_through_another_is_refused() -> None:
    files = _calling("aller_retour", "annexe")
    files["annexe.bpmn"] = ANNEXE.format(middle=CALL_BACK.format(key="aller_retour"))
    expected = (
        "calcul: «\u00a0Calculer\u00a0» appel récursif\u00a0: aller_retour → annexe → "
        "aller_retour (activités d'appel\u00a0: calcul, rappel)\u202f; un processus ne peut pas "
        "s'appeler lui-même"
    )
    problems = check_files(files)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_a_call_without_a_cycle_is_deployable() -> None:
    files = _calling("appel_simple", "annexe")
    files["annexe.bpmn"] = ANNEXE.format(middle=SCRIPT)
    assert check_files(files) == []


# --- repeating timers ---------------------------------------------------------------------------


def repeating_reminder(key: str, cycle: str) -> dict[str, str]:
    """A non-interrupting boundary timer `relance` on the user task `saisie`, with a cycle."""
    files = script_after_task(key, "x = 1")
    files = _replace(
        files,
        '    <bpmn:endEvent id="fin">',
        '    <bpmn:boundaryEvent id="relance" name="Relancer" attachedToRef="saisie" '
        'cancelActivity="false"><bpmn:outgoing>fr</bpmn:outgoing>'
        '<bpmn:timerEventDefinition id="cycle">'
        f"<bpmn:timeCycle>{_xml(cycle)}</bpmn:timeCycle>"
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>\n"
        '    <bpmn:endEvent id="relance_faite"><bpmn:incoming>fr</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="fr" sourceRef="relance" targetRef="relance_faite" />\n'
        '    <bpmn:endEvent id="fin">',
    )
    return _replace(
        files,
        "<bpmn:flowNodeRef>fin</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>fin</bpmn:flowNodeRef><bpmn:flowNodeRef>relance</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>relance_faite</bpmn:flowNodeRef>",
    )


@pytest.mark.parametrize(
    ("cycle", "reasons"),
    [
        (
            '"R/PT1S"',
            "sans nombre de répétitions (elle se répéterait sans fin)\u202f; "
            "intervalle de 1 s, 1 h au moins",
        ),
        ('"R/P1D"', "sans nombre de répétitions (elle se répéterait sans fin)"),
        ('"R-1/P1D"', "sans nombre de répétitions (elle se répéterait sans fin)"),
        ('"R1000/P1D"', "1000 répétitions, 100 au plus"),
        ('"R5/PT10M"', "intervalle de 10 min, 1 h au moins"),
        ('"R3/2026-03-01T09:00:00+01:00/PT30S"', "intervalle de 30 s, 1 h au moins"),
    ],
)
def test_a_timer_repeating_without_bound_is_refused(
    session: Session, cycle: str, reasons: str
) -> None:
    files = repeating_reminder("relance_sans_fin", cycle)
    expected = (
        f"relance: «\u00a0Relancer\u00a0» minuterie répétée "
        f"«\u00a0{cycle.strip(chr(34))}\u00a0»\u00a0: {reasons}"
    )
    problems = check_files(files)
    assert expected in problems, problems
    with pytest.raises(ProcessModelError):
        deploy(session, files)
    session.rollback()


@pytest.mark.parametrize(
    "cycle", ['"R3/P1D"', '"R100/PT1H"', '"R0/PT1S"', '"R" + str(delai_complements_jours) + "/P1D"']
)
def test_a_bounded_repeating_timer_is_deployable(cycle: str) -> None:
    # A cycle computed from process variables is checked when a dossier reaches it.
    assert check_files(repeating_reminder("relance_bornee", cycle)) == []


# --- instructions shown on a task --------------------------------------------------------------


def with_instructions(key: str, template: str) -> dict[str, str]:
    return _replace(
        script_after_task(key, "x = 1"),
        "</spiffworkflow:properties>",
        "</spiffworkflow:properties><spiffworkflow:instructionsForEndUser>"
        f"{_xml(template)}</spiffworkflow:instructionsForEndUser>",
    )


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("Bonjour {{ 1 + }}", "instructions\u00a0: modèle invalide (ligne 1\u00a0:"),
        ("{% if continuer %}oui", "instructions\u00a0: modèle invalide (ligne 1\u00a0:"),
        ("{% for x in y %}{{ x }}", "instructions\u00a0: modèle invalide"),
        ('{% include "autre.txt" %}', "instructions\u00a0: «\u00a0include\u00a0» interdit"),
        ('{% extends "base.txt" %}', "instructions\u00a0: «\u00a0extends\u00a0» interdit"),
        ('{% import "macros.txt" as m %}', "instructions\u00a0: «\u00a0import\u00a0» interdit"),
        (
            "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
            "instructions\u00a0: «\u00a0macro\u00a0» interdit",
        ),
        ("{{ continuer.__class__ }}", "instructions\u00a0: «\u00a0__class__\u00a0» interdit"),
        ('{{ continuer["__len__"] }}', "instructions\u00a0: «\u00a0__len__\u00a0» interdit"),
    ],
)
def test_instructions_that_are_not_a_valid_template_are_refused(
    session: Session, template: str, reason: str
) -> None:
    files = with_instructions("instructions_cassees", template)
    expected = f"saisie: «\u00a0Saisir\u00a0» {reason}"
    problems = check_files(files)
    assert any(problem.startswith(expected) for problem in problems), problems
    with pytest.raises(ProcessModelError):
        deploy(session, files)
    session.rollback()


def test_sound_instructions_are_deployable() -> None:
    template = "{% if continuer %}Réponse\u00a0: {{ continuer | upper }}.{% endif %} Merci."
    assert check_files(with_instructions("instructions_saines", template)) == []


# --- the names the check assumes --------------------------------------------------------------


def test_the_start_values_the_check_knows_are_those_a_new_dossier_holds(session: Session) -> None:
    submitter = session.scalar(select(User).where(User.email == "demandeur@example.org"))
    assert submitter is not None
    instance = starting.start_instance(session, Actor.from_user(submitter))
    workflow = state.load_workflow(
        session, instance, definition_for(session, instance.process_version_id)
    )
    assert set(workflow.task_tree.data) == START_VARIABLES
    scenarios = (ROOT / "processes").glob("*/scenarios/*.json")
    for path in scenarios:
        given = json.loads(path.read_text(encoding="utf-8")).get("donnees_initiales", {})
        assert set(given) <= REGISTER_START_VARIABLES, path
    session.rollback()


# --- a date that may be past only when a box is ticked ----------------------------------------

NOT_PAST_TODO = (
    "donnez le nom de la case à cocher (champ booléen) du même formulaire qui autorise une date "
    "passée, ou retirez cette option."
)


def _not_past_unless(files: dict[str, str], name: object) -> dict[str, str]:
    """The recensement with a date field on *Inscrire à l'ordre du jour* (`date_limite`) whose
    `notPastUnless` names `name`."""
    ui_name = "forms/inscrire_ordre_du_jour.ui.json"
    schema_name = "forms/inscrire_ordre_du_jour.schema.json"
    ui = json.loads(files[ui_name])
    schema = json.loads(files[schema_name])
    schema["properties"]["date_limite"] = {"type": "string", "format": "date", "title": "Date"}
    ui["ui:order"].append("date_limite")
    ui["date_limite"] = {
        "ui:widget": "date",
        "ui:options": {"notPast": True, "notPastUnless": name},
    }
    return {
        **files,
        ui_name: json.dumps(ui, ensure_ascii=False),
        schema_name: json.dumps(schema, ensure_ascii=False),
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "seance_tenu",
            "inscrire_ordre_du_jour: champ «\u00a0date_limite\u00a0»\u00a0: "
            "«\u00a0ui:options.notPastUnless\u00a0» nomme «\u00a0seance_tenu\u00a0», qui n'est "
            f"pas un autre champ du formulaire\u202f; {NOT_PAST_TODO}",
        ),
        (
            "date_limite",
            "inscrire_ordre_du_jour: champ «\u00a0date_limite\u00a0»\u00a0: "
            "«\u00a0ui:options.notPastUnless\u00a0» nomme «\u00a0date_limite\u00a0», qui n'est "
            f"pas un autre champ du formulaire\u202f; {NOT_PAST_TODO}",
        ),
    ],
)
def test_a_not_past_exception_naming_no_box_of_the_form_is_refused_everywhere(
    browser: Browser,
    session: Session,
    tmp_path: Path,
    restore: None,
    name: str,
    expected: str,
) -> None:
    """The same verdict from the command, the studio's *Valider* and a deployment."""
    from web.cli import main

    files = _not_past_unless(read_folder(ROOT / "processes" / "recensement"), name)
    for file_name, text in files.items():
        target = tmp_path / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    result = CliRunner().invoke(main, ["processes", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert expected in result.output.splitlines()

    browser.login("proprietaire@example.org")
    draft = browser.get("/studio/api/recensement/brouillon").get_json()
    saved = browser.client.put(
        "/studio/api/recensement/brouillon",
        json={"files": files, "lock_version": draft["lock_version"]},
        headers={"X-CSRFToken": browser.csrf("/studio/recensement/")},
    )
    assert saved.status_code == 200
    checked = browser.post("/studio/recensement/verification", from_page="/studio/recensement/")
    page = text_of(checked)
    assert "n'est pas déployable" in page
    # (text_of reads every space as a plain one)
    assert f"nomme « {name} », qui n'est pas un autre champ du formulaire" in page

    with pytest.raises(ProcessModelError) as refused:
        deploy(session, files)
    assert expected in refused.value.problems


def test_a_not_past_exception_naming_a_field_that_is_no_box_is_refused() -> None:
    files = condition_after_task("date_a_venir", 'continuer == "oui"')
    schema = json.loads(files["forms/tour.schema.json"])
    schema["properties"]["seance"] = {"type": "string", "title": "Séance", "format": "date"}
    files["forms/tour.schema.json"] = json.dumps(schema)
    files["forms/tour.ui.json"] = json.dumps(
        {"seance": {"ui:options": {"notPast": True, "notPastUnless": "continuer"}}}
    )
    files = _replace(
        files,
        '<spiffworkflow:property name="formJsonSchemaFilename" value="tour.schema.json" />',
        '<spiffworkflow:property name="formJsonSchemaFilename" value="tour.schema.json" />'
        '<spiffworkflow:property name="formUiSchemaFilename" value="tour.ui.json" />',
    )
    assert (
        "saisie: champ «\u00a0seance\u00a0»\u00a0: «\u00a0ui:options.notPastUnless\u00a0» nomme "
        "«\u00a0continuer\u00a0», un champ de type «\u00a0string\u00a0» et non une case à "
        f"cocher\u202f; {NOT_PAST_TODO}"
    ) in check_files(files)
    # Naming a box of the form is deployable.
    schema["properties"]["seance_tenue"] = {"type": "boolean", "title": "Séance tenue"}
    files["forms/tour.schema.json"] = json.dumps(schema)
    files["forms/tour.ui.json"] = json.dumps(
        {"seance": {"ui:options": {"notPast": True, "notPastUnless": "seance_tenue"}}}
    )
    assert check_files(files) == []


# --- the documents an element names -----------------------------------------------------------

MISSPELT_DOCUMENT = (
    "fin_irrecevable: «\u00a0Demande irrecevable\u00a0» document «\u00a0irrecevabilte\u00a0» "
    "inconnu\u00a0: aucun modèle engine/pdf/modeles/irrecevabilte.html\u202f; modèles "
    "connus\u00a0: "
)


def _misspelt_document(files: dict[str, str]) -> dict[str, str]:
    return _replace(
        files,
        '<spiffworkflow:property name="document" value="irrecevabilite" />',
        '<spiffworkflow:property name="document" value="decision, irrecevabilte" />',
    )


def test_a_document_naming_no_template_is_refused_at_deploy(session: Session) -> None:
    files = _misspelt_document(read_folder(ROOT / "processes" / "recensement"))
    problems = check_files(files)
    [problem] = [p for p in problems if "document" in p]
    assert problem.startswith(MISSPELT_DOCUMENT), problems
    # The known names are listed, so the modeller sees what to write; `decision` is one.
    assert "irrecevabilite" in problem and "classement_sans_suite" in problem
    with pytest.raises(ProcessModelError) as refused:
        deploy(session, files)
    assert any(p.startswith(MISSPELT_DOCUMENT) for p in refused.value.problems)
    session.rollback()


def test_the_studio_names_the_unknown_document_instead_of_deploying(
    browser: Browser, restore: None
) -> None:
    browser.login("proprietaire@example.org")
    draft = browser.get("/studio/api/recensement/brouillon").get_json()
    files = _misspelt_document(dict(draft["files"]))
    saved = browser.client.put(
        "/studio/api/recensement/brouillon",
        json={"files": files, "lock_version": draft["lock_version"]},
        headers={"X-CSRFToken": browser.csrf("/studio/recensement/")},
    )
    assert saved.status_code == 200
    checked = browser.post("/studio/recensement/verification", from_page="/studio/recensement/")
    assert checked.status_code == 200
    page = text_of(checked)
    assert "n'est pas déployable" in page
    assert "fin_irrecevable : « Demande irrecevable » document « irrecevabilte » inconnu" in page


@pytest.mark.parametrize("folder", ["enregistrement-rs", "retrait-rs"])
def test_the_rs_processes_name_only_known_documents(folder: str) -> None:
    assert check_files(read_folder(ROOT / "processes" / folder)) == []


# --- a list from the database (`choix`) ---------------------------------------------------------


def _choix(files: dict[str, str], options: dict[str, object], json_type: str) -> dict[str, str]:
    """The recensement with the séance field of *Inscrire à l'ordre du jour* changed."""
    ui_name = "forms/inscrire_ordre_du_jour.ui.json"
    schema_name = "forms/inscrire_ordre_du_jour.schema.json"
    ui = json.loads(files[ui_name])
    schema = json.loads(files[schema_name])
    ui["seance_id"]["ui:options"] = options
    schema["properties"]["seance_id"] = {"type": json_type, "title": "Séance"}
    return {
        **files,
        ui_name: json.dumps(ui, ensure_ascii=False),
        schema_name: json.dumps(schema, ensure_ascii=False),
    }


@pytest.mark.parametrize(
    ("options", "json_type", "expected"),
    [
        (
            {"source": "salles"},
            "integer",
            "inscrire_ordre_du_jour: champ «\u00a0seance_id\u00a0»\u00a0: le widget "
            "«\u00a0choix\u00a0» demande ui:options.source, le nom d'une liste connue "
            "(«\u00a0seances\u00a0»).",
        ),
        (
            {},
            "integer",
            "inscrire_ordre_du_jour: champ «\u00a0seance_id\u00a0»\u00a0: le widget "
            "«\u00a0choix\u00a0» demande ui:options.source, le nom d'une liste connue "
            "(«\u00a0seances\u00a0»).",
        ),
        (
            {"source": "seances"},
            "string",
            "inscrire_ordre_du_jour: champ «\u00a0seance_id\u00a0»\u00a0: la liste "
            "«\u00a0seances\u00a0» donne des valeurs de type «\u00a0integer\u00a0», pas "
            "«\u00a0string\u00a0».",
        ),
    ],
)
def test_a_list_from_the_database_must_be_a_known_one_of_its_type(
    options: dict[str, object], json_type: str, expected: str
) -> None:
    files = _choix(read_folder(ROOT / "processes" / "recensement"), options, json_type)
    assert expected in check_files(files)


def test_the_values_a_seance_gives_are_known_to_the_diagram() -> None:
    """`date_seance` is no field of the form any more: the séance list derives it, and the
    timer reads it without a warning."""
    files = read_folder(ROOT / "processes" / "recensement")
    assert not [problem for problem in check_files(files) if "date_seance" in problem]
