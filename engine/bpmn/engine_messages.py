"""SpiffWorkflow's messages said in French: `parse_refusal` reads a refusal of its parser through
the catalogue (parser_messages, schema_messages); `run_time_message` (run_messages) the errors
of a run.

Each line starts with the element's id (the studio points at it), names its kind and name, says
what is wrong and what to do. A message the catalogue does not know keeps a French frame with
SpiffWorkflow's text as a detail.
"""

from __future__ import annotations

import re
from typing import Any

from engine.bpmn.elements import Diagrams, Element, one_line
from engine.bpmn.message_entries import english_text
from engine.bpmn.parser_messages import PARSE_ENTRIES
from engine.bpmn.run_messages import RUN_ENTRIES, run_time_message
from engine.bpmn.schema_messages import schema_refusal


def parse_refusal(error: Exception, diagrams: Diagrams) -> str:
    """A refusal of SpiffWorkflow's parser as one French line, `element-id: what to do`."""
    filename = str(getattr(error, "file_name", "") or "")
    line = getattr(error, "line_number", "") or ""
    text = re.sub(r"\{(?:https?:|urn:)[^}]*\}", "", english_text(error))  # namespaces
    element = Element(
        str(getattr(error, "id", "") or ""),
        str(getattr(error, "tag", "") or ""),
        str(getattr(error, "name", "") or ""),
    )
    schema = schema_refusal(text, filename, line, diagrams)
    if schema is not None:
        return schema
    where = f" (ligne {line})" if line else ""
    for entry in PARSE_ENTRIES:
        match = entry.pattern.search(text)
        if match is None:
            continue
        located = entry.locate(match, diagrams) if entry.locate else None
        element = located or element
        if not element.tag and element.id:
            node = diagrams.by_id(element.id)
            element = Element.of_node(node) if node is not None else element
        facts = entry.facts(match, element, diagrams) if entry.facts else {}
        groups = [one_line(group or "") for group in match.groups()]
        french = entry.text.format(*groups, what=element.described, **facts)
        return f"{element.id or filename or _last_file(diagrams)}: {french}{where}"
    label = f"{element.described}\u00a0: " if element.tag else ""
    lead = element.id or filename or _last_file(diagrams)
    return (
        f"{lead}: {label}le moteur refuse cet élément sans que nous sachions encore le dire "
        f"en français (détail\u00a0: {text.rstrip('.')}){where}"
    )


def decisions_problem(filename: str, root: Any) -> str | None:
    """A DMN file must hold exactly one decision: SpiffWorkflow's parser fails on the others
    with a bare IndexError or AttributeError that names nothing."""
    decisions = [
        node.get("id") or "?"
        for node in root
        if isinstance(node.tag, str) and node.tag.rsplit("}", 1)[-1] == "decision"
    ]
    if not decisions:
        return (
            f"{filename}: le fichier DMN ne contient aucune décision\u00a0: ajoutez-y une table de "
            "décision ou retirez le fichier du modèle"
        )
    if len(decisions) > 1:
        return (
            f"{filename}: le fichier DMN contient {len(decisions)} décisions "
            f"({', '.join(decisions)})\u00a0: le moteur n'en lit qu'une par fichier\u202f; placez "
            "chaque "
            "décision dans son propre fichier"
        )
    return None


def missing_process(process_id: str, diagrams: Diagrams) -> str:
    """Why the process a model names is not among those the engine can run."""
    node = diagrams.find("process", id=process_id)
    if node is not None and node.get("isExecutable") == "false":
        return (
            f"{process_id}: {Element.of_node(node).described} marqué non exécutable "
            '(isExecutable="false")\u00a0: cochez «\u00a0Exécutable\u00a0» dans ses propriétés'
        )
    return f"Le processus «\u00a0{process_id}\u00a0» est introuvable dans les diagrammes."


def _last_file(diagrams: Diagrams) -> str:
    # Errors of a whole file (its data stores, messages) come while it is being added: the last.
    return diagrams.roots[-1][0] if diagrams.roots else "diagramme"


__all__ = ["PARSE_ENTRIES", "RUN_ENTRIES", "parse_refusal", "run_time_message"]
