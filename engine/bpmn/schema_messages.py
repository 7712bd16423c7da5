"""The BPMN 2.0 schema's refusals (libxml2's English) said in French, naming the element at
fault and what to do; and libxml2's syntax errors of a malformed file."""

from __future__ import annotations

import re

from engine.bpmn.elements import Diagrams, Element, with_id

_SCHEMA = re.compile(
    r"Element '(?P<element>[\w:.-]+)'(?:, attribute '(?P<attribute>[\w:.-]+)')?: (?P<detail>.*)"
)
_QNAME = re.compile(r"\{(?:https?:|urn:)[^}]*\}")

# libxml2's words for a schema's refusal, each with its French and what to do.
SCHEMA_DETAILS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), french)
    for pattern, french in (
        (
            r"This element is not expected(?:\. Expected is (?:one of )?\( (?P<expected>.*) \))?",
            "élément inattendu à cet endroit{expected}\u202f; déplacez-le ou supprimez-le",
        ),
        (
            r"Missing child element\(s\)(?:\. Expected is (?:one of )?\( (?P<expected>.*) \))?",
            "élément enfant manquant{expected}\u202f; ajoutez-le",
        ),
        (
            r"The attribute '(?P<name>[^']*)' is required but missing",
            "attribut «\u00a0{name}\u00a0» obligatoire et absent\u202f; ajoutez-le",
        ),
        (
            r"The attribute '(?P<name>[^']*)' is not allowed",
            "attribut «\u00a0{name}\u00a0» non permis ici\u202f; supprimez-le",
        ),
        (
            r"'(?P<value>[^']*)' is not a valid value of the atomic type 'xs:ID'",
            "«\u00a0{value}\u00a0» n'est pas un identifiant valide, ou il est déjà pris par un "
            "autre élément\u202f; un identifiant commence par une lettre ou «\u00a0_\u00a0», sans "
            "espace ni «\u00a0:\u00a0», et il est unique dans le fichier",
        ),
        (
            r"'(?P<value>[^']*)' is not a valid value of the atomic type 'xs:QName'",
            "«\u00a0{value}\u00a0» n'est pas une référence valide (préfixe:nom)\u202f; corrigez-la",
        ),
        (
            r"'(?P<value>[^']*)' is not a valid value of the (?:local |list )?(?:atomic )?type"
            r"(?: '(?P<type>[^']*)')?",
            "«\u00a0{value}\u00a0» n'est pas une valeur permise ici\u202f; corrigez-la",
        ),
        (
            r"\[facet 'enumeration'\] The value '(?P<value>[^']*)' is not an element of the set "
            r"\{(?P<allowed>[^}]*)\}",
            "«\u00a0{value}\u00a0» n'est pas une des valeurs permises ({allowed})\u202f; "
            "choisissez-en une",
        ),
        (
            r"The QName value '(?P<value>[^']*)' has no corresponding namespace declaration",
            "le préfixe de «\u00a0{value}\u00a0» n'est déclaré par aucun espace de noms "
            "(xmlns)\u202f; déclarez-le sur l'élément racine ou retirez le préfixe",
        ),
        (
            r"No matching global element declaration available, but demanded by the strict "
            r"wildcard",
            "élément d'un autre outil (espace de noms inconnu du schéma BPMN) à un endroit où le "
            "schéma n'accepte que des éléments qu'il connaît\u202f; supprimez-le, ou réexportez le "
            "diagramme sans les extensions de cet outil",
        ),
        (
            r"Character content other than whitespace is not allowed",
            "texte non permis dans cet élément\u202f; supprimez-le",
        ),
        (
            r"No matching global declaration available for the validation root",
            "ce fichier n'est pas un diagramme BPMN 2.0 (élément racine bpmn:definitions "
            "attendu)\u202f; exportez-le en BPMN 2.0",
        ),
    )
)


def schema_refusal(text: str, filename: str, line: object, diagrams: Diagrams) -> str | None:
    """The French line for a schema refusal of SpiffWorkflow's validator, or None if not one."""
    match = _SCHEMA.match(text)
    if match is None:
        return None
    local = match["element"].rsplit(":", 1)[-1]
    node = diagrams.at_line(filename, int(str(line)), local) if str(line).isdigit() else None
    named = with_id(node)
    attribute = match["attribute"]
    where = f"élément {local}" + (f", attribut {attribute}" if attribute else "")
    if named is not None and named is not node:
        where += f" dans {Element.of_node(named).definite}"
    elif named is not None:
        where = Element.of_node(named).described + (f", attribut {attribute}" if attribute else "")
    lead = named.get("id") if named is not None else filename
    suffix = f" (ligne {line})" if line else ""
    schema = "DMN" if filename.endswith(".dmn") else "BPMN 2.0"
    return (
        f"{lead}: non conforme au schéma {schema} ({where})\u00a0: "
        f"{_detail(match['detail'])}{suffix}"
    )


def _detail(detail: str) -> str:
    detail = _QNAME.sub("", detail).strip().rstrip(".")
    for pattern, french in SCHEMA_DETAILS:
        found = pattern.search(detail)
        if found:
            values = {key: value or "" for key, value in found.groupdict().items()}
            if values.get("expected"):
                expected = values["expected"].replace("##other*", "une extension d'un autre outil")
                values["expected"] = f" (attendu\u00a0: {expected})"
            return french.format(**values)
    return (
        "corrigez-le dans le modeleur ou réexportez le fichier en BPMN 2.0 "
        f"(détail du validateur\u00a0: {detail})"
    )


# libxml2's syntax errors, for a file that is not well-formed XML.
SYNTAX_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), french)
    for pattern, french in (
        (
            r"xmlns:?(?P<prefix>[\w.-]*): '(?P<uri>[^']*)' is not a valid URI",
            "l'espace de noms «\u00a0{uri}\u00a0» (xmlns:{prefix}) n'est pas une URI valide (pas "
            "d'espace, pas d'accent)\u202f; corrigez-la ou réexportez le fichier",
        ),
        (
            r"Opening and ending tag mismatch: (?P<open>\S+) line (?P<at>\d+) "
            r"and (?P<close>[^\s,]+)",
            "la balise <{open}> ouverte ligne {at} est fermée par </{close}>\u202f; "
            "corrigez l'une des deux",
        ),
        (
            r"Premature end of data in tag (?P<open>\S+) line (?P<at>\d+)",
            "le fichier s'arrête avant la fin de <{open}> (ouverte ligne {at})\u00a0: il est "
            "tronqué\u202f; réexportez-le",
        ),
        (r"Document is empty", "le fichier est vide"),
        (r"Start tag expected, '<' not found", "ce n'est pas un fichier XML"),
        (
            r"Extra content at the end of the document",
            "du contenu suit la fin du document XML\u202f; supprimez-le",
        ),
        (
            r"Namespace prefix (?P<prefix>\S+) (?:on (?P<tag>\S+) )?is not defined",
            "le préfixe «\u00a0{prefix}\u00a0» n'est déclaré par aucun espace de noms "
            "(xmlns:{prefix})\u202f; déclarez-le sur l'élément racine",
        ),
        (
            r"Attribute (?P<name>\S+) redefined",
            "l'attribut «\u00a0{name}\u00a0» est écrit deux fois sur le même élément\u202f; "
            "gardez-en un",
        ),
        (
            r"attributes construct error|Couldn't find end of Start Tag|AttValue: \" or ' expected",
            "une balise est mal écrite (valeur d'attribut sans guillemets, ou balise non fermée)",
        ),
        (
            r"Char 0x[0-9A-F]+ out of allowed range|PCDATA invalid Char value|"
            r"invalid character in attribute value",
            "le fichier contient un caractère de contrôle interdit en XML\u202f; supprimez-le",
        ),
    )
)


def syntax_refusal(message: str) -> str:
    """libxml2's message for a malformed file, in French (its line kept)."""
    line = re.search(r"line (\d+), column (\d+)", message)
    where = f" (ligne {line.group(1)}, colonne {line.group(2)})" if line else ""
    for pattern, french in SYNTAX_ERRORS:
        found = pattern.search(message)
        if found:
            values = {key: value or "" for key, value in found.groupdict().items()}
            return french.format(**values) + where
    return f"le fichier n'est pas un XML bien formé (détail\u00a0: {message})"
