"""The BPMN schema's refusals and libxml2's syntax errors (engine/bpmn/schema_messages.py), each
met with a real file: the line names the element (id, kind, name) or the place, in French."""

from __future__ import annotations

import pytest

from engine.bpmn.schema_messages import SCHEMA_DETAILS, SYNTAX_ERRORS
from engine.definitions.checking import check_files
from tests.unit.test_engine_messages import around, files, model
from tools.miwg import english_part

TASK = '<bpmn:task id="t" name="Faire" />'
DI = (
    '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="dessin" name="Dessin">'
    '<bpmndi:BPMNPlane id="plan" bpmnElement="p"><di:extension>'
    '<x:couleur xmlns:x="urn:outil" /></di:extension></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>'
)

# (a piece of the entry's pattern; the diagram; what the line must say)
SCHEMA_CASES = [
    (
        "This element is not expected",
        model(
            around(
                '<bpmn:task id="t" name="Faire"><bpmn:incoming>f1</bpmn:incoming>'
                "<bpmn:documentation>x</bpmn:documentation></bpmn:task>",
                "t",
            )
        ),
        [
            "t: non conforme au schéma BPMN 2.0 (élément documentation dans la tâche "
            "«\u00a0Faire\u00a0»)",
            "élément inattendu à cet endroit (attendu\u00a0: incoming, outgoing",
            "(ligne 6)",
        ],
    ),
    (
        "Missing child element",
        model(
            around(
                '<bpmn:task id="t" name="Faire"><bpmn:dataInputAssociation id="a" /></bpmn:task>',
                "t",
            )
        ),
        [
            "a: non conforme au schéma BPMN 2.0 (association de données entrante sans nom)",
            "élément enfant manquant (attendu\u00a0: documentation, extensionElements, sourceRef",
        ],
    ),
    (
        "is required but missing",
        model(around(TASK, "t") + '\n<bpmn:sequenceFlow id="x" sourceRef="t" />'),
        [
            "x: non conforme au schéma BPMN 2.0 (flux sans nom)",
            "attribut «\u00a0targetRef\u00a0» obligatoire et absent\u202f; ajoutez-le",
        ],
    ),
    (
        "is not allowed",
        model(around('<bpmn:task id="t" name="Faire" couleur="bleu" />', "t")),
        [
            "t: non conforme au schéma BPMN 2.0 (tâche «\u00a0Faire\u00a0», attribut couleur)",
            "attribut «\u00a0couleur\u00a0» non permis ici\u202f; supprimez-le",
        ],
    ),
    (
        "'xs:ID'",
        model(around(TASK.replace('id="t"', 'id="t" name2="x"'), "t")).replace(
            '<bpmn:endEvent id="fin" />', '<bpmn:endEvent id="2 fin" name="Fin" />'
        ),
        ["non conforme au schéma BPMN 2.0", "«\u00a02 fin\u00a0» n'est pas un identifiant valide"],
    ),
    (
        "'xs:QName'",
        model(around('<bpmn:callActivity id="t" name="Appeler" calledElement="6a-b" />', "t")),
        [
            "t: non conforme au schéma BPMN 2.0 (activité d'appel «\u00a0Appeler\u00a0», attribut "
            "calledElement)",
            "«\u00a06a-b\u00a0» n'est pas une référence valide",
        ],
    ),
    (
        "is not a valid value of the (?:local",
        model(around(TASK, "t"), executable="oui"),
        [
            "p: non conforme au schéma BPMN 2.0 (processus «\u00a0Essai\u00a0», attribut "
            "isExecutable)",
            "«\u00a0oui\u00a0» n'est pas une valeur permise ici",
        ],
    ),
    (
        "facet 'enumeration'",
        model(around(TASK, "t")).replace('name="Essai"', 'name="Essai" processType="Secret"'),
        [
            "p: non conforme au schéma BPMN 2.0 (processus «\u00a0Essai\u00a0», attribut "
            "processType)",
            "«\u00a0Secret\u00a0» n'est pas une des valeurs permises (",
        ],
    ),
    (
        "The QName value",
        model(
            around(TASK, "t") + '<bpmn:sequenceFlow id="x" sourceRef="t" targetRef="fin">'
            '<bpmn:conditionExpression xsi:type="foo:tFormalExpression">a'
            "</bpmn:conditionExpression></bpmn:sequenceFlow>"
        ),
        [
            "x: non conforme au schéma BPMN 2.0 (élément conditionExpression, attribut type dans "
            "le flux sans nom)",
            "le préfixe de «\u00a0foo:tFormalExpression\u00a0» n'est déclaré",
        ],
    ),
    (
        "strict wildcard",
        model(around(TASK, "t"), after=DI),
        [
            "plan: non conforme au schéma BPMN 2.0 (élément couleur dans",
            "élément d'un autre outil",
            "réexportez le diagramme sans les extensions",
        ],
    ),
    (
        "Character content other than whitespace",
        model(around('<bpmn:task id="t" name="Faire">texte</bpmn:task>', "t")),
        ["t: non conforme au schéma BPMN 2.0 (tâche «\u00a0Faire\u00a0»)\u00a0: texte non permis"],
    ),
    (
        "validation root",
        '<?xml version="1.0"?><x:modele xmlns:x="urn:outil" id="m" />',
        ["ce fichier n'est pas un diagramme BPMN 2.0", "exportez-le en BPMN 2.0"],
    ),
]

SYNTAX_CASES = [
    (
        "is not a valid URI",
        model(around(TASK, "t")).replace('id="defs"', 'xmlns:Process="http://a b/c" id="defs"'),
        [
            "p.bpmn: XML mal formé\u00a0: l'espace de noms «\u00a0http://a b/c\u00a0» "
            "(xmlns:Process) n'est pas "
            "une URI valide"
        ],
    ),
    (
        "Opening and ending tag mismatch",
        model(around(TASK, "t")).replace("</bpmn:process>", "</bpmn:processus>"),
        [
            "p.bpmn: XML mal formé\u00a0: la balise <process> ouverte ligne 5 est fermée par "
            "</processus>\u202f; corrigez l'une des deux (ligne 7"
        ],
    ),
    (
        "Premature end of data",
        model(around(TASK, "t")).split("</bpmn:process>")[0],
        ["p.bpmn: XML mal formé\u00a0: le fichier s'arrête avant la fin de <", "tronqué"],
    ),
    ("Document is empty", "", ["p.bpmn: XML mal formé\u00a0: le fichier est vide"]),
    ("Start tag expected", "bonjour", ["p.bpmn: XML mal formé\u00a0: ce n'est pas un fichier XML"]),
    (
        "Extra content at the end",
        model(around(TASK, "t")) + "<x/>",
        ["p.bpmn: XML mal formé\u00a0: du contenu suit la fin du document XML"],
    ),
    (
        "Namespace prefix",
        model(around('<foo:task id="t" />', "t")),
        [
            "p.bpmn: XML mal formé\u00a0: le préfixe «\u00a0foo\u00a0» n'est déclaré par aucun "
            "espace de noms"
        ],
    ),
    (
        "redefined",
        model(around('<bpmn:task id="t" name="a" name="b" />', "t")),
        ["p.bpmn: XML mal formé\u00a0: l'attribut «\u00a0name\u00a0» est écrit deux fois"],
    ),
    (
        "attributes construct error",
        model(around("<bpmn:task id=t />", "t")),
        ["p.bpmn: XML mal formé\u00a0: une balise est mal écrite"],
    ),
    (
        "out of allowed range",
        model(around('<bpmn:task id="t" name="a\x01b" />', "t")),
        ["p.bpmn: XML mal formé\u00a0: le fichier contient un caractère de contrôle interdit"],
    ),
]


@pytest.mark.parametrize(
    ("entry", "bpmn", "expected"),
    SCHEMA_CASES + SYNTAX_CASES,
    ids=[case[0] for case in SCHEMA_CASES + SYNTAX_CASES],
)
def test_each_refusal_of_the_schema_or_the_xml_reads_in_french(
    entry: str, bpmn: str, expected: list[str]
) -> None:
    lines = check_files(files(bpmn))
    line = next((line for line in lines if expected[0] in line), None)
    assert line is not None, lines
    for words in expected:
        assert words in line, line
    assert english_part(line) is None, line


def test_every_schema_and_syntax_entry_is_met_by_a_file() -> None:
    covered = [case[0] for case in SCHEMA_CASES + SYNTAX_CASES]
    for pattern, _french in (*SCHEMA_DETAILS, *SYNTAX_ERRORS):
        assert any(key in pattern.pattern for key in covered), pattern.pattern
