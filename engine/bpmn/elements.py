"""How a message names a diagram's element: its id, its kind in French and its name, found in
the parsed XML when SpiffWorkflow gives only part of it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from engine.core import typography

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# The kind of each BPMN element, as a process owner reads it in the studio.
KINDS = {
    "process": "processus",
    "collaboration": "collaboration",
    "participant": "participant",
    "laneSet": "ensemble de couloirs",
    "lane": "couloir",
    "task": "tâche",
    "userTask": "tâche humaine",
    "manualTask": "tâche manuelle",
    "scriptTask": "tâche de script",
    "serviceTask": "tâche de service",
    "sendTask": "tâche d'envoi",
    "receiveTask": "tâche de réception",
    "businessRuleTask": "tâche de décision",
    "callActivity": "activité d'appel",
    "subProcess": "sous-processus",
    "transaction": "transaction",
    "adHocSubProcess": "sous-processus ad hoc",
    "startEvent": "événement de début",
    "endEvent": "événement de fin",
    "intermediateCatchEvent": "événement intermédiaire",
    "intermediateThrowEvent": "événement intermédiaire émis",
    "boundaryEvent": "événement de bordure",
    "exclusiveGateway": "passerelle exclusive",
    "inclusiveGateway": "passerelle inclusive",
    "parallelGateway": "passerelle parallèle",
    "eventBasedGateway": "passerelle événementielle",
    "complexGateway": "passerelle complexe",
    "sequenceFlow": "flux",
    "messageFlow": "flux de message",
    "dataObject": "objet de données",
    "dataObjectReference": "référence d'objet de données",
    "dataStore": "magasin de données",
    "dataStoreReference": "référence de magasin de données",
    "dataInputAssociation": "association de données entrante",
    "dataOutputAssociation": "association de données sortante",
    "message": "message",
    "signal": "signal",
    "error": "erreur",
    "escalation": "escalade",
    "correlationProperty": "propriété de corrélation",
    "textAnnotation": "annotation",
    "association": "association",
    "dataInput": "donnée d'entrée",
    "dataOutput": "donnée de sortie",
    "timerEventDefinition": "définition de minuterie",
    "messageEventDefinition": "définition de message",
    "signalEventDefinition": "définition de signal",
    "errorEventDefinition": "définition d'erreur",
    "escalationEventDefinition": "définition d'escalade",
    "definitions": "document",
}
# SpiffWorkflow's task spec classes, by the BPMN element they come from.
_SPEC_CLASSES = {
    "NoneTask": "task",
    "SubWorkflowTask": "subProcess",
    "TransactionSubprocess": "transaction",
    "AdHocSubprocess": "adHocSubProcess",
    "StandardLoopTask": "task",
    "ParallelMultiInstanceTask": "task",
    "SequentialMultiInstanceTask": "task",
}


# Kinds said with "la": the others take "le" (or "l'" before a vowel).
_FEMININE = (
    "tâche",
    "activité",
    "passerelle",
    "référence",
    "association",
    "définition",
    "erreur",
    "escalade",
    "propriété",
    "annotation",
    "collaboration",
    "transaction",
    "donnée",
)


def kind_of(tag: str) -> str:
    """The French kind of an element from its tag (`{ns}userTask`, `bpmn:userTask`, `userTask`)."""
    local = tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
    return KINDS.get(local, f"élément {local}")


@dataclass(frozen=True)
class Element:
    """An element as a message names it: `id` first in the line, then `kind « name »`."""

    id: str = ""
    tag: str = ""
    name: str = ""

    @property
    def kind(self) -> str:
        return kind_of(self.tag) if self.tag else "élément"

    @property
    def described(self) -> str:
        """`tâche de service « Payer »`, or `tâche de service sans nom`."""
        name = one_line(self.name)
        return f"{self.kind} «\u00a0{name}\u00a0»" if name else f"{self.kind} sans nom"

    @property
    def definite(self) -> str:
        """`la tâche de service « Payer »`, `le flux « Oui »`, `l'événement de fin « Fin »`."""
        described = self.described
        if described[:1] in "aeéèiouh":
            return f"l'{described}"
        feminine = described.startswith(_FEMININE)
        return f"{'la' if feminine else 'le'} {described}"

    @property
    def of(self) -> str:
        """`de la tâche « Payer »`, `du flux « Oui »`, `de l'événement « Fin »`."""
        definite = self.definite
        return f"du {definite[3:]}" if definite.startswith("le ") else f"de {definite}"

    @classmethod
    def of_node(cls, node: etree._Element) -> Element:
        return cls(node.get("id") or "", etree.QName(node).localname, node.get("name") or "")

    @classmethod
    def of_spec(cls, task_spec: object) -> Element:
        class_name = type(task_spec).__name__
        tag = _SPEC_CLASSES.get(class_name, class_name[:1].lower() + class_name[1:])
        bpmn_id = getattr(task_spec, "bpmn_id", None) or getattr(task_spec, "name", "")
        name = getattr(task_spec, "bpmn_name", None)
        child = getattr(task_spec, "task_spec", None)  # a loop's or multi-instance's own task
        if not name and isinstance(child, str):
            specs = getattr(getattr(task_spec, "_wf_spec", None), "task_specs", {})
            name = getattr(specs.get(child), "bpmn_name", None)
        return cls(str(bpmn_id or ""), tag, str(name or ""))


def one_line(text: str) -> str:
    """A name as one line: modelers keep the line breaks people typed in a shape (the no-break
    spaces of French typography stay)."""
    return typography.one_line(text)


class Diagrams:
    """The parsed files of a model, searched for the element a message is about."""

    def __init__(self, roots: Iterable[tuple[str, etree._Element]] = ()) -> None:
        self.roots = list(roots)

    def by_id(self, element_id: str) -> etree._Element | None:
        for node in self._all():
            if node.get("id") == element_id:
                return node
        return None

    def find(self, local_name: str, **attributes: str | None) -> etree._Element | None:
        """The first BPMN element of this kind whose attributes have these values (None: absent)."""
        for _name, root in self.roots:
            for node in root.iter(f"{{{BPMN}}}{local_name}"):
                if all(node.get(key) == value for key, value in attributes.items()):
                    return node
        return None

    def at_line(self, filename: str, line: int, local_name: str) -> etree._Element | None:
        """The element a schema error points at (its file, line and tag)."""
        for name, root in self.roots:
            if name != filename:
                continue
            for node in root.iter():
                if (
                    isinstance(node.tag, str)
                    and node.sourceline == line
                    and etree.QName(node).localname == local_name
                ):
                    return node
        return None

    def _all(self) -> Iterator[etree._Element]:
        for _name, root in self.roots:
            for node in root.iter():
                if isinstance(node.tag, str):
                    yield node


def with_id(node: etree._Element | None) -> etree._Element | None:
    """The node, or its nearest ancestor with an id (a message's line starts with an id)."""
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node
