"""Rules read on the BPMN XML itself, before SpiffWorkflow parses it: what it would run wrongly."""

from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# Elements SpiffWorkflow 3.2 does not run (or runs wrongly): refused with the reason.
UNSUPPORTED = {
    "complexGateway": "passerelle complexe non exécutée par le moteur",
    "adHocSubProcess": "sous-processus ad hoc non exécuté par le moteur",
    "compensateEventDefinition": "la compensation n'est pas exécutée par le moteur",
    "conditionalEventDefinition": "les événements conditionnels ne sont pas exécutés par le moteur",
    "linkEventDefinition": "les événements de lien ne sont pas exécutés par le moteur",
}


def _label(node: etree._Element) -> str:
    element = node.get("id") or etree.QName(node).localname
    name = node.get("name")
    return f"{element}: « {name} »" if name else f"{element}:"


def check_bpmn_xml(root: etree._Element) -> list[str]:
    """Problems of a parsed BPMN document, one `element-id: reason` line each."""
    problems: list[str] = []
    for tag, reason in UNSUPPORTED.items():
        for node in root.iter(f"{{{BPMN}}}{tag}"):
            # An event definition has no id of its own: name the event that holds it.
            parent = node.getparent()
            holder = parent if tag.endswith("Definition") and parent is not None else node
            problems.append(f"{_label(holder)} {reason}")
    for sub in root.iter(f"{{{BPMN}}}subProcess"):
        if sub.get("triggeredByEvent") != "true":
            continue
        for start in sub.iterchildren(f"{{{BPMN}}}startEvent"):
            if start.get("isInterrupting", "true") != "false":
                problems.append(
                    f"{_label(sub)} sous-processus événementiel interrompant : le moteur ignore "
                    "l'interruption (utilisez un événement de bordure interrompant)"
                )
    return problems
