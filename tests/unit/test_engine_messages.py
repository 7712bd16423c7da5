"""Every message of SpiffWorkflow's catalogue (engine/bpmn/engine_messages.py) met with a real
diagram that makes the real parser or engine say it: the line names the element (id, kind,
name), says what to do, in French."""

from __future__ import annotations

import json
import re
from itertools import pairwise

import pytest

from engine.bpmn import spiff
from engine.bpmn.engine_messages import PARSE_ENTRIES, RUN_ENTRIES
from engine.core.errors import InventaireError
from engine.definitions.checking import check_files
from tools.miwg import english_part

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="defs" targetNamespace="http://example.org/inventaire">
"""


def model(body: str, *, before: str = "", after: str = "", executable: str = "true") -> str:
    """A diagram: `before` at the document's level, process `p` holding `body`."""
    return (
        f'{HEAD}{before}<bpmn:process id="p" name="Essai" isExecutable="{executable}">\n'
        f"{body}\n</bpmn:process>\n{after}</bpmn:definitions>\n"
    )


def flow(*nodes: str) -> str:
    """Sequence flows joining the given ids in order (f1, f2…)."""
    return "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />'
        for i, (a, b) in enumerate(pairwise(nodes), start=1)
    )


def around(element: str, element_id: str) -> str:
    """start → the element → end."""
    return (
        '<bpmn:startEvent id="debut" />'
        + element
        + '<bpmn:endEvent id="fin" />'
        + flow("debut", element_id, "fin")
    )


def files(bpmn: str, *extra: tuple[str, str]) -> dict[str, str]:
    config = {"key": "p", "process_id": "p", "lanes": {}}
    return {"process.json": json.dumps(config), "p.bpmn": bpmn, **dict(extra)}


DMN_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="D" '
    'namespace="http://example.org/dmn">'
)
DECISION = (
    '<decision id="{id}" name="Choisir"><decisionTable id="t_{id}">'
    '<input id="i_{id}" label="x"><inputExpression id="e_{id}" typeRef="string"><text>x</text>'
    "</inputExpression></input>"
    '<output id="o_{id}" label="y" name="y" typeRef="string" />'
    '<rule id="r_{id}"><inputEntry id="ie_{id}"><text>"a"</text></inputEntry>'
    '<outputEntry id="oe_{id}"><text>{output}</text></outputEntry></rule>'
    "</decisionTable></decision>"
)
BUSINESS_RULE = (
    '<bpmn:businessRuleTask id="regle" name="Appliquer la règle"><bpmn:extensionElements>'
    '<spiffworkflow:calledDecisionId xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
    "choisir</spiffworkflow:calledDecisionId></bpmn:extensionElements></bpmn:businessRuleTask>"
)
IO_INPUT = (
    '<bpmn:ioSpecification><bpmn:dataInput id="montant" name="Montant" />'
    "<bpmn:inputSet><bpmn:dataInputRefs>montant</bpmn:dataInputRefs></bpmn:inputSet>"
    "<bpmn:outputSet /></bpmn:ioSpecification>"
)

# (entry: a piece of its SpiffWorkflow pattern; the model; what the line must say)
PARSE_CASES: list[tuple[str, dict[str, str], list[str]]] = [
    (
        "Exactly one start event",
        files(
            model(
                around(
                    '<bpmn:subProcess id="sp" name="Vérifier"><bpmn:endEvent id="sp_fin" />'
                    "</bpmn:subProcess>",
                    "sp",
                )
            )
        ),
        [
            "sp: sous-processus «\u00a0Vérifier\u00a0»",
            "il n'en a aucun",
            "un seul événement de début",
        ],
    ),
    (
        "A SubWorkflow Must contain an End event",
        files(
            model(
                around(
                    '<bpmn:subProcess id="sp" name="Vérifier"><bpmn:startEvent id="sp_debut" />'
                    "</bpmn:subProcess>",
                    "sp",
                )
            )
        ),
        [
            "sp: sous-processus «\u00a0Vérifier\u00a0» sans événement de fin",
            "ajoutez un événement de fin",
        ],
    ),
    (
        'No "calledElement"',
        files(model(around('<bpmn:callActivity id="appel" name="Instruire" />', "appel"))),
        [
            "appel: activité d'appel «\u00a0Instruire\u00a0»",
            "indiquez l'identifiant du processus appelé",
        ],
    ),
    (
        "No start event found",
        files(model('<bpmn:task id="t" name="Faire" />')),
        [
            "p: processus «\u00a0Essai\u00a0» sans événement de début",
            "ajoutez un événement de début",
        ],
    ),
    (
        "is not executable",
        files(model(around('<bpmn:task id="t" name="Faire" />', "t"), executable="false")),
        [
            "p: processus «\u00a0Essai\u00a0» marqué non exécutable",
            "cochez «\u00a0Exécutable\u00a0»",
        ],
    ),
    (
        "Duplicate process ID",
        files(
            model(around('<bpmn:task id="t" name="Faire" />', "t")),
            ("autre.bpmn", model(around('<bpmn:task id="t" name="Faire" />', "t"))),
        ),
        ["deux processus portent l'identifiant «\u00a0p\u00a0»", "donnez à l'un d'eux un autre"],
    ),
    (
        "A Service Task must have an operator",
        files(model(around('<bpmn:serviceTask id="payer" name="Payer" />', "payer"))),
        [
            "payer: tâche de service «\u00a0Payer\u00a0»",
            "indiquez-le dans son extension",
            "tâche de script",
        ],
    ),
    (
        "Multiple outgoing flows",
        files(
            model(
                '<bpmn:startEvent id="debut" /><bpmn:task id="t" name="Trier" />'
                '<bpmn:endEvent id="fin1" /><bpmn:endEvent id="fin2" />'
                + flow("debut", "t", "fin1")
                + '<bpmn:sequenceFlow id="f9" sourceRef="t" targetRef="fin2" />'
            )
        ),
        ["t: tâche «\u00a0Trier\u00a0» a plusieurs flux sortants", "passerelle, parallèle"],
    ),
    (
        "A loopMaximum or loopCondition",
        files(
            model(
                around(
                    '<bpmn:task id="t" name="Relancer"><bpmn:standardLoopCharacteristics />'
                    "</bpmn:task>",
                    "t",
                )
            )
        ),
        ["t: tâche «\u00a0Relancer\u00a0» en boucle", "indiquez l'un ou l'autre"],
    ),
    (
        "a cardinality or a loop input",
        files(
            model(
                around(
                    '<bpmn:task id="t" name="Noter"><bpmn:multiInstanceLoopCharacteristics />'
                    "</bpmn:task>",
                    "t",
                )
            )
        ),
        ["t: tâche «\u00a0Noter\u00a0» multi-instance", "combien d'instances", "loopCardinality"],
    ),
    (
        "exactly one of cardinality",
        files(
            model(
                around(
                    '<bpmn:task id="t" name="Noter"><bpmn:multiInstanceLoopCharacteristics>'
                    "<bpmn:loopCardinality>3</bpmn:loopCardinality>"
                    "<bpmn:loopDataInputRef>notes</bpmn:loopDataInputRef>"
                    "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>",
                    "t",
                )
            )
        ),
        ["t: tâche «\u00a0Noter\u00a0» multi-instance", "gardez l'un des deux"],
    ),
    (
        "The loop (input|output) data reference",
        files(
            model(
                around(
                    f'<bpmn:task id="t" name="Noter">{IO_INPUT}'
                    "<bpmn:multiInstanceLoopCharacteristics>"
                    "<bpmn:loopDataInputRef>notes</bpmn:loopDataInputRef>"
                    "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>",
                    "t",
                )
            )
        ),
        ["t: tâche «\u00a0Noter\u00a0» multi-instance", "déclarez-la ou corrigez son nom"],
    ),
    (
        "Cancel Events may only",
        files(
            model(
                around('<bpmn:task id="t" name="Payer" />', "t")
                + '<bpmn:boundaryEvent id="annule" name="Annulé" attachedToRef="t">'
                "<bpmn:cancelEventDefinition /></bpmn:boundaryEvent>"
            )
        ),
        ["t: tâche «\u00a0Payer\u00a0» porte un événement d'annulation", "qu'à une transaction"],
    ),
    (
        "When looking for a task spec",
        files(
            model(
                around('<bpmn:task id="t" name="Passer" />', "t").replace(
                    'targetRef="fin"', 'targetRef="ailleurs"'
                ),
                after='<bpmn:process id="q" isExecutable="true"><bpmn:task id="ailleurs" />'
                "</bpmn:process>",
            )
        ),
        ["t: tâche «\u00a0Passer\u00a0»", "mène à «\u00a0ailleurs\u00a0»", "reliez le flux"],
    ),
    (
        "There is no support implemented",
        files(
            model(
                around('<bpmn:task id="t" name="Passer" />', "t").replace(
                    'targetRef="fin"', 'targetRef="note"'
                )
                + '<bpmn:dataObjectReference id="note" name="Note" dataObjectRef="donnee" />'
                '<bpmn:dataObject id="donnee" />'
            )
        ),
        ["note: référence d'objet de données «\u00a0Note\u00a0»", "remplacez-le par une tâche"],
    ),
    (
        "Non-default exclusive outgoing",
        files(
            model(
                '<bpmn:startEvent id="debut" /><bpmn:exclusiveGateway id="g" '
                'name="Complet\u202f?" />'
                '<bpmn:endEvent id="fin1" /><bpmn:endEvent id="fin2" />'
                + flow("debut", "g", "fin1")
                + '<bpmn:sequenceFlow id="oui" name="Oui" sourceRef="g" targetRef="fin2" />'
            )
        ),
        [
            "f2: flux sans nom sort de la passerelle exclusive «\u00a0Complet\u202f?\u00a0»",
            "donnez-lui une condition",
        ],
    ),
    (
        "Unknown Time Specification",
        files(
            model(
                around(
                    '<bpmn:intermediateCatchEvent id="attente" name="Attendre">'
                    "<bpmn:timerEventDefinition /></bpmn:intermediateCatchEvent>",
                    "attente",
                )
            )
        ),
        ["attente: événement intermédiaire «\u00a0Attendre\u00a0»", 'timeDuration, ex. "P30D"'],
    ),
    (
        "unexpected keyword argument 'node'",
        files(
            model(
                around(
                    '<bpmn:intermediateCatchEvent id="reponse" name="Réponse reçue">'
                    '<bpmn:messageEventDefinition messageRef="inconnu" />'
                    "</bpmn:intermediateCatchEvent>",
                    "reponse",
                )
            )
        ),
        [
            "reponse: événement intermédiaire «\u00a0Réponse reçue\u00a0» renvoie au message "
            "«\u00a0inconnu\u00a0»",
            "défini nulle part",
            "(bpmn:message)",
        ],
    ),
    (
        "Data Store with name",
        files(
            model(
                around('<bpmn:task id="t" name="Payer" />', "t"),
                before='<bpmn:dataStore id="paie" name="Paie" />',
            )
        ),
        ["paie: magasin de données «\u00a0Paie\u00a0»", "retirez-le du diagramme"],
    ),
    (
        "Data Store name is missing",
        files(
            model(
                around('<bpmn:task id="t" name="Payer" />', "t"),
                before='<bpmn:dataStore id="paie" />',
            )
        ),
        ["paie: magasin de données sans nom", "retirez-le du diagramme"],
    ),
    (
        "Data Store identifier is missing",
        files(
            model(
                around('<bpmn:task id="t" name="Payer" />', "t"),
                before='<bpmn:dataStore name="Paie" />',
            )
        ),
        ["magasin de données «\u00a0Paie\u00a0» sans identifiant", "donnez-lui un identifiant"],
    ),
    (
        "Cannot resolve dataInputAssociation",
        files(
            model(
                around(
                    '<bpmn:task id="t" name="Lire"><bpmn:dataInputAssociation id="a">'
                    "<bpmn:sourceRef>registre</bpmn:sourceRef><bpmn:targetRef>t</bpmn:targetRef>"
                    "</bpmn:dataInputAssociation></bpmn:task>",
                    "t",
                )
                + '<bpmn:dataStoreReference id="registre" name="Registre" />'
            )
        ),
        [
            "t: tâche «\u00a0Lire\u00a0» lit la référence de magasin de données "
            "«\u00a0Registre\u00a0»",
            "reliez l'association à un objet de données",
        ],
    ),
    (
        "Cannot resolve dataOutputAssociation",
        files(
            model(
                around(
                    '<bpmn:task id="t" name="Écrire"><bpmn:dataOutputAssociation id="a">'
                    "<bpmn:targetRef>registre</bpmn:targetRef></bpmn:dataOutputAssociation></bpmn:task>",
                    "t",
                )
                + '<bpmn:dataStoreReference id="registre" name="Registre" />'
            )
        ),
        [
            "t: tâche «\u00a0Écrire\u00a0» écrit dans la référence de magasin de données "
            "«\u00a0Registre\u00a0»",
            "reliez l'association à un objet de données",
        ],
    ),
    *[
        (
            f"{english} identifier is missing",
            files(model(around('<bpmn:task id="t" name="Payer" />', "t"), before=element)),
            [f"{kind} «\u00a0Rappel\u00a0» sans identifiant", "donnez-lui un identifiant"],
        )
        for english, element, kind in (
            ("Message", '<bpmn:message name="Rappel" />', "message"),
            ("Signal", '<bpmn:signal name="Rappel" />', "signal"),
            ("Error", '<bpmn:error name="Rappel" />', "erreur"),
            ("Escalation", '<bpmn:escalation name="Rappel" />', "escalade"),
            (
                "Correlation",
                '<bpmn:message id="m" name="M" /><bpmn:correlationProperty name="Rappel">'
                '<bpmn:correlationPropertyRetrievalExpression messageRef="m">'
                "<bpmn:messagePath>x</bpmn:messagePath>"
                "</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>",
                "propriété de corrélation",
            ),
        )
    ],
    (
        "No DMN Diagram available",
        files(model(around(BUSINESS_RULE, "regle"))),
        [
            "regle: tâche de décision «\u00a0Appliquer la règle\u00a0» appelle la table de "
            "décision «\u00a0choisir\u00a0», introuvable",
            "ajoutez le fichier DMN",
        ],
    ),
    (
        "Malformed Output Expression",
        files(
            model(around(BUSINESS_RULE, "regle")),
            (
                "choisir.dmn",
                DMN_HEAD + DECISION.format(id="choisir", output="1 +") + "</definitions>",
            ),
        ),
        ["une sortie de la table de décision n'est pas une expression valide (1 +)"],
    ),
]


def _lines(model_files: dict[str, str]) -> list[str]:
    return check_files(model_files)


@pytest.mark.parametrize(
    ("entry", "model_files", "expected"), PARSE_CASES, ids=[case[0] for case in PARSE_CASES]
)
def test_each_refusal_of_the_parser_reads_in_french(
    entry: str, model_files: dict[str, str], expected: list[str]
) -> None:
    lines = _lines(model_files)
    line = next((line for line in lines if expected[0] in line), None)
    assert line is not None, lines
    for words in expected:
        assert words in line
    assert english_part(line) is None, line
    assert "diagramme refusé par le moteur" not in line


def test_every_entry_of_the_catalogue_is_met_by_a_diagram() -> None:
    covered = {case[0] for case in PARSE_CASES} | {case[0] for case in RUN_CASES}
    for entry in (*PARSE_ENTRIES, *RUN_ENTRIES):
        assert any(key in entry.pattern.pattern for key in covered), entry.pattern.pattern


# --- running ----------------------------------------------------------------------------------

SCRIPT_NS = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'


def _script(element_id: str, name: str, code: str, inner: str = "") -> str:
    return (
        f'<bpmn:scriptTask id="{element_id}" name="{name}">{inner}'
        f"<bpmn:script>{code}</bpmn:script></bpmn:scriptTask>"
    )


RUN_CASES: list[tuple[str, str, list[str]]] = [
    (
        "No conditions satisfied",
        model(
            '<bpmn:startEvent id="debut" /><bpmn:inclusiveGateway id="g" name="Avis" />'
            '<bpmn:endEvent id="fin1" />'
            + flow("debut", "g")
            + '<bpmn:sequenceFlow id="si" sourceRef="g" targetRef="fin1">'
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">False'
            "</bpmn:conditionExpression></bpmn:sequenceFlow>"
        ),
        ["g: passerelle inclusive «\u00a0Avis\u00a0»", "aucune condition", "flux par défaut"],
    ),
    (
        "A data object could not be set",
        model(
            around(
                _script(
                    "ecrire",
                    "Écrire",
                    "y = 1",
                    '<bpmn:dataOutputAssociation id="a"><bpmn:targetRef>ref</bpmn:targetRef>'
                    "</bpmn:dataOutputAssociation>",
                ),
                "ecrire",
            )
            + '<bpmn:dataObject id="dossier" name="Dossier" />'
            '<bpmn:dataObjectReference id="ref" dataObjectRef="dossier" />'
        ),
        [
            "ecrire: tâche de script «\u00a0Écrire\u00a0» devait écrire l'objet de données "
            "«\u00a0dossier\u00a0»",
            "donnez-lui une valeur",
        ],
    ),
    (
        "Missing data (?:input",
        model(around(_script("calcul", "Calculer", "y = 1", IO_INPUT), "calcul")),
        [
            "calcul: tâche de script «\u00a0Calculer\u00a0» attend une donnée",
            "faites-la produire avant",
        ],
    ),
    (
        "Multiinstance (input|output) item",
        model(
            '<bpmn:startEvent id="debut" />'
            + _script("prepare", "Préparer", "notes = [1, 2]\nnote = 0")
            + '<bpmn:task id="noter" name="Noter"><bpmn:multiInstanceLoopCharacteristics>'
            "<bpmn:loopDataInputRef>notes</bpmn:loopDataInputRef>"
            '<bpmn:inputDataItem id="note" name="note" />'
            "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>"
            '<bpmn:endEvent id="fin" />' + flow("debut", "prepare", "noter", "fin")
        ),
        [
            "noter: tâche «\u00a0Noter\u00a0» multi-instance",
            "la donnée «\u00a0note\u00a0»",
            "existe déjà",
        ],
    ),
    (
        "If (?:the input is not being updated",
        model(
            '<bpmn:startEvent id="debut" />'
            + _script("prepare", "Préparer", "notes = [1, 2]\nsorties = [9]")
            + '<bpmn:task id="noter" name="Noter"><bpmn:multiInstanceLoopCharacteristics>'
            "<bpmn:loopDataInputRef>notes</bpmn:loopDataInputRef>"
            "<bpmn:loopDataOutputRef>sorties</bpmn:loopDataOutputRef>"
            '<bpmn:inputDataItem id="note" name="note" />'
            '<bpmn:outputDataItem id="sortie" name="sortie" />'
            "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>"
            '<bpmn:endEvent id="fin" />' + flow("debut", "prepare", "noter", "fin")
        ),
        [
            "noter: tâche «\u00a0Noter\u00a0» multi-instance",
            "la collection de sortie doit être vide",
        ],
    ),
    (
        "Invalid duration",
        model(
            '<bpmn:startEvent id="debut" />'
            + _script("prepare", "Préparer", 'delai = "30 jours"')
            + '<bpmn:intermediateCatchEvent id="attente" name="Attendre">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
            "delai</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
            '<bpmn:endEvent id="fin" />' + flow("debut", "prepare", "attente", "fin")
        ),
        [
            "attente: événement intermédiaire «\u00a0Attendre\u00a0»\u00a0: la minuterie a reçu "
            "un texte",
            "corrigez son expression",
        ],
    ),
]

CALLED = model(
    '<bpmn:startEvent id="debut" /><bpmn:callActivity id="appel" name="Instruire" '
    'calledElement="q" /><bpmn:endEvent id="fin" />' + flow("debut", "appel", "fin"),
    after='<bpmn:process id="q" isExecutable="true">{io}<bpmn:startEvent id="q_debut" />'
    '<bpmn:endEvent id="q_fin" /><bpmn:sequenceFlow id="qf" sourceRef="q_debut" '
    'targetRef="q_fin" /></bpmn:process>',
)
RUN_CASES += [
    (
        "You are missing a required Data Input",
        CALLED.replace("{io}", IO_INPUT),
        [
            "appel: activité d'appel «\u00a0Instruire\u00a0» appelle un processus qui attend une "
            "donnée"
        ],
    ),
    (
        "The Data Output was not available",
        CALLED.replace(
            "{io}",
            '<bpmn:ioSpecification><bpmn:dataOutput id="avis" name="Avis" /><bpmn:inputSet />'
            "<bpmn:outputSet><bpmn:dataOutputRefs>avis</bpmn:dataOutputRefs></bpmn:outputSet>"
            "</bpmn:ioSpecification>",
        ),
        [
            "appel: activité d'appel «\u00a0Instruire\u00a0»\u00a0: le processus appelé s'est "
            "achevé sans produire une donnée de sortie"
        ],
    ),
]


def _run(bpmn: str) -> str:
    parsed = spiff.parse_process({"p.bpmn": bpmn}, {}, "p")
    workflow = spiff.new_workflow(parsed, spiff.ScriptEngine())
    with pytest.raises(InventaireError) as raised:
        spiff.run_engine(workflow)
        for timer in spiff.waiting_timers(workflow):
            spiff.fire_timer(workflow, timer.task_id)
        spiff.run_engine(workflow)
    return raised.value.user_message


@pytest.mark.parametrize(("entry", "bpmn", "expected"), RUN_CASES, ids=[c[0] for c in RUN_CASES])
def test_each_error_of_the_engine_reads_in_french(
    entry: str, bpmn: str, expected: list[str]
) -> None:
    message = _run(bpmn)
    for words in expected:
        assert words in message, message
    assert english_part(message) is None, message
    assert re.match(r"^[\w-]+: ", message)


def test_a_timer_written_as_bare_iso_text_is_told_to_take_quotes() -> None:
    timer = (
        '<bpmn:intermediateCatchEvent id="attente" name="Une semaine"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P7D</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )

    lines = check_files(files(model(around(timer, "attente"))))

    assert lines == [
        "attente: «\u00a0Une semaine\u00a0» minuterie «\u00a0P7D\u00a0»\u00a0: ce texte ISO 8601 "
        "est lu comme du code\u202f; "
        'écrivez-le entre guillemets ("P7D")'
    ]


@pytest.mark.parametrize(
    ("dmn", "expected"),
    [
        ("</definitions>", "vide.dmn: le fichier DMN ne contient aucune décision"),
        (
            DECISION.format(id="choisir", output='"b"')
            + DECISION.format(id="autre", output='"c"')
            + "</definitions>",
            "vide.dmn: le fichier DMN contient 2 décisions (choisir, autre)\u00a0: le moteur n'en "
            "lit qu'une par fichier",
        ),
    ],
)
def test_a_dmn_file_holds_exactly_one_decision(dmn: str, expected: str) -> None:
    lines = check_files(files(model(around(BUSINESS_RULE, "regle")), ("vide.dmn", DMN_HEAD + dmn)))

    assert len(lines) == 1 and lines[0].startswith(expected), lines


@pytest.mark.parametrize(
    ("kind", "value"),
    [("timeCycle", '"toutes les semaines"'), ("timeDuration", "5"), ("timeDate", '"demain"')],
)
def test_a_timer_given_text_it_cannot_read_names_the_timer(kind: str, value: str) -> None:
    message = _run(
        model(
            '<bpmn:startEvent id="debut" />'
            + _script("prepare", "Préparer", f"delai = {value}")
            + '<bpmn:intermediateCatchEvent id="attente" name="Attendre">'
            f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
            f"delai</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
            '<bpmn:endEvent id="fin" />' + flow("debut", "prepare", "attente", "fin")
        )
    )

    assert message.startswith(
        "attente: événement intermédiaire «\u00a0Attendre\u00a0»\u00a0: la minuterie a reçu un "
        "texte qui n'est pas une date, une durée ou un cycle ISO 8601"
    ), message
