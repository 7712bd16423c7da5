"""Diagrams read into SpiffWorkflow specs: untrusted XML parsed safely, BPMN and DMN files turned
into the spec of one process, and the parser's refusals said in French (engine_messages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.bpmn.elements import Diagrams
from engine.bpmn.engine_messages import decisions_problem, missing_process, parse_refusal
from engine.bpmn.schema_messages import syntax_refusal
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
        raise ProcessModelError(
            f"{filename}: XML mal formé\u00a0: {syntax_refusal(str(error))}."
        ) from None


@dataclass(frozen=True)
class ParsedProcess:
    spec: Spec
    subprocess_specs: SubprocessSpecs


def parse_process(
    bpmn_files: dict[str, str], dmn_files: dict[str, str], process_id: str
) -> ParsedProcess:
    """Parse BPMN and DMN texts (XSD-validated) into the spec of `process_id`."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    diagrams = Diagrams()
    try:
        for name, text in dmn_files.items():
            diagrams.roots.append((name, root := parse_xml(text, name)))
            if (problem := decisions_problem(name, root)) is not None:
                raise ProcessModelError(problem)
            parser.add_dmn_xml(root, filename=name)
        for name, text in bpmn_files.items():
            diagrams.roots.append((name, root := parse_xml(text, name)))
            parser.add_bpmn_xml(root, filename=name)
        if process_id not in parser.get_process_ids():
            raise ProcessModelError(missing_process(process_id, diagrams))
        spec = parser.get_spec(process_id)
        _check_called_processes(spec, set(parser.get_process_ids()))
        subprocess_specs = parser.get_subprocess_specs(process_id)
        for sub in subprocess_specs.values():
            _check_called_processes(sub, set(parser.get_process_ids()))
    except (ValidationException, SpiffWorkflowException) as error:
        raise ProcessModelError(parse_refusal(error, diagrams)) from None
    except ProcessModelError:
        raise
    except Exception as error:  # SpiffWorkflow's own faults on a diagram it cannot read
        raise ProcessModelError(
            f"Diagramme non exécutable\u00a0: le moteur n'a pas pu le lire "
            f"(détail\u00a0: {type(error).__name__}\u00a0: {error})"
        ) from None
    return ParsedProcess(spec, subprocess_specs)


def _check_called_processes(spec: Spec, known: set[str]) -> None:
    for task_spec in spec.task_specs.values():
        called = getattr(task_spec, "spec", None)
        if type(task_spec).__name__ == "CallActivity" and called not in known:
            raise ProcessModelError(
                f"{task_spec.bpmn_id}: processus appelé «\u00a0{called}\u00a0» introuvable "
                f"(processus disponibles\u00a0: {', '.join(sorted(known)) or 'aucun'})"
            )
