"""Diagrams read into SpiffWorkflow specs: untrusted XML parsed safely, BPMN and DMN files turned
into the spec of one process, and the parser's refusals said in French."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.core import xml_safety
from engine.core.errors import ProcessModelError

MAX_XML_BYTES = 5 * 1024 * 1024

Spec = Any  # SpiffWorkflow's BpmnProcessSpec
SubprocessSpecs = dict[str, Any]

_HARDENED = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
)


def parse_xml(content: str | bytes, filename: str) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network, a size limit."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if len(data) > MAX_XML_BYTES:
        raise ProcessModelError(
            f"{filename}: fichier trop volumineux ({len(data) // 1024} Ko, "
            f"{MAX_XML_BYTES // 1024 // 1024} Mo au plus)."
        )
    if (refused := xml_safety.refusal(data)) is not None:
        raise ProcessModelError(f"{filename}: {refused}.")
    try:
        return etree.fromstring(data, parser=_HARDENED)
    except etree.XMLSyntaxError as error:
        raise ProcessModelError(f"{filename}: XML mal formé ({error}).") from None


@dataclass(frozen=True)
class ParsedProcess:
    spec: Spec
    subprocess_specs: SubprocessSpecs


def parse_process(
    bpmn_files: dict[str, str], dmn_files: dict[str, str], process_id: str
) -> ParsedProcess:
    """Parse BPMN and DMN texts (XSD-validated) into the spec of `process_id`."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        for name, text in dmn_files.items():
            parser.add_dmn_xml(parse_xml(text, name), filename=name)
        for name, text in bpmn_files.items():
            parser.add_bpmn_xml(parse_xml(text, name), filename=name)
        if process_id not in parser.get_process_ids():
            raise ProcessModelError(
                f"Le processus « {process_id} » est introuvable dans les diagrammes."
            )
        spec = parser.get_spec(process_id)
        _check_called_processes(spec, set(parser.get_process_ids()))
        subprocess_specs = parser.get_subprocess_specs(process_id)
        for sub in subprocess_specs.values():
            _check_called_processes(sub, set(parser.get_process_ids()))
    except ValidationException as error:
        raise ProcessModelError(_validation_message(error)) from None
    except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError) as error:
        raise ProcessModelError(f"Diagramme non exécutable : {error}") from None
    return ParsedProcess(spec, subprocess_specs)


def _check_called_processes(spec: Spec, known: set[str]) -> None:
    for task_spec in spec.task_specs.values():
        called = getattr(task_spec, "spec", None)
        if type(task_spec).__name__ == "CallActivity" and called not in known:
            raise ProcessModelError(
                f"{task_spec.bpmn_id}: processus appelé « {called} » introuvable "
                f"(processus disponibles : {', '.join(sorted(known)) or 'aucun'})"
            )


# SpiffWorkflow's messages, said in French (the element's id stays first).
_NAMESPACE = re.compile(r"\{[^}]*\}")
_TRANSLATIONS = (
    (
        re.compile(r'No DMN Diagram available with id "([^"]*)"'),
        "table de décision « {0} » introuvable",
    ),
    (
        re.compile(r"we found two items, perhaps a form has the same ID\? \((.*)\)"),
        "identifiant en double ou manquant ({0})",
    ),
    (
        re.compile(r"Non-default exclusive outgoing sequence flow without condition"),
        "flux sortant d'une passerelle exclusive sans condition et qui n'est pas le flux par "
        "défaut",
    ),
    (
        re.compile(r"Element '(\w+)', attribute '([\w:]+)': (.*)"),
        "non conforme au schéma BPMN 2.0 (élément {0}, attribut {1} : {2})",
    ),
    (
        re.compile(r"Element '(\w+)': (.*)"),
        "non conforme au schéma BPMN 2.0 (élément {0} : {1})",
    ),
)
_XSD_DETAILS = (
    (re.compile(r"This element is not expected.*"), "élément inattendu à cet endroit"),
    (re.compile(r"The attribute '[^']*' is not allowed.*"), "attribut non autorisé"),
    (re.compile(r".*is not a valid value.*"), "valeur invalide"),
    (re.compile(r"The attribute '([^']*)' is required.*"), "attribut « \\1 » obligatoire"),
    (re.compile(r"Missing child element.*"), "élément enfant manquant"),
)


def _french_detail(text: str) -> str:
    for pattern, french in _XSD_DETAILS:
        if pattern.match(text):
            return pattern.sub(french, text)
    return text


def _validation_message(error: ValidationException) -> str:
    where = getattr(error, "file_name", "") or ""
    line = getattr(error, "line_number", "")
    element = getattr(error, "id", "") or ""
    text = _NAMESPACE.sub("", str(error).split("\n")[0]).strip().rstrip(".").strip()
    for pattern, french in _TRANSLATIONS:
        match = pattern.search(text)
        if match:
            groups = list(match.groups())
            if groups:
                groups[-1] = _french_detail(groups[-1])
            text = french.format(*groups)
            break
    else:
        text = f"diagramme refusé par le moteur ({text})"
    return f"{element or where}: {text}" + (f" (ligne {line})" if line else "")
