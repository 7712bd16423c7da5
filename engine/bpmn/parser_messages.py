"""The catalogue of SpiffWorkflow's parser refusals, each in French with what to do: the entries
by subject (sub-processes, tasks, events, data, decisions) and what they read in the diagram
to name the element."""

from __future__ import annotations

import re

from engine.bpmn.elements import BPMN, Diagrams, Element, one_line, with_id
from engine.bpmn.message_entries import Entry, Facts, Locate
from engine.bpmn.message_entries import entry as _entry

# --- what the diagram tells about the element ------------------------------------------------


def _data_store_named(match: re.Match[str], diagrams: Diagrams) -> Element | None:
    wanted = one_line(match.group(1))
    for _name, root in diagrams.roots:
        for node in root.iter(f"{{{BPMN}}}dataStore"):
            if one_line(node.get("name") or "") == wanted:
                return Element.of_node(node)
    return None


def _data_store_without(attribute: str) -> Locate:
    def locate(_match: re.Match[str], diagrams: Diagrams) -> Element | None:
        node = diagrams.find("dataStore", **{attribute: None})
        if node is None:
            return None
        named = with_id(node)
        return Element.of_node(named if named is not None else node)

    return locate


def _identifier_missing(local_name: str) -> Locate:
    def locate(_match: re.Match[str], diagrams: Diagrams) -> Element | None:
        node = diagrams.find(local_name, id=None)
        return Element("", local_name, node.get("name") or "") if node is not None else None

    return locate


def _unresolved_data(direction: str) -> Facts:
    """Which reference of the element's data associations is not a data object."""

    def facts(_match: re.Match[str], element: Element, diagrams: Diagrams) -> dict[str, str]:
        node = diagrams.by_id(element.id)
        association = f"{{{BPMN}}}data{direction}Association"
        side = f"{{{BPMN}}}{'sourceRef' if direction == 'Input' else 'targetRef'}"
        refs = [
            (ref.text or "").strip()
            for child in ([] if node is None else node.iterchildren(association))
            for ref in child.iterchildren(side)
        ]
        for ref in refs:
            target = diagrams.by_id(ref)
            if target is None:
                return {"target": f"«\u00a0{ref}\u00a0», qui n'existe pas"}
            if target.tag.rsplit("}", 1)[-1] not in ("dataObjectReference", "dataObject"):
                return {"target": Element.of_node(target).definite}
        return {"target": "un élément qui n'est pas un objet de données du processus"}

    return facts


def _flow_source(_match: re.Match[str], element: Element, diagrams: Diagrams) -> dict[str, str]:
    flow = diagrams.by_id(element.id)
    source = diagrams.by_id(flow.get("sourceRef", "")) if flow is not None else None
    return {"gateway": Element.of_node(source).of if source is not None else "de la passerelle"}


def _undefined_reference(
    _match: re.Match[str], element: Element, diagrams: Diagrams
) -> dict[str, str]:
    node = diagrams.by_id(element.id)
    kinds = {
        "messageRef": ("au message", "message", "e"),
        "signalRef": ("au signal", "signal", "e"),
        "errorRef": ("à l'erreur", "error", "a"),
        "escalationRef": ("à l'escalade", "escalation", "a"),
    }
    for definition in [] if node is None else node:
        for attribute, (kind, tag, ending) in kinds.items():
            ref = definition.get(attribute) if isinstance(definition.tag, str) else None
            if ref and diagrams.by_id(ref) is None:
                feminine = ending == "a"
                return {
                    "kind": kind,
                    "ref": ref,
                    "kind_tag": tag,
                    "defined": "définie" if feminine else "défini",
                    "it": "la" if feminine else "le",
                    "one": "une" if feminine else "un",
                }
    return {
        "kind": "à un message",
        "ref": "?",
        "kind_tag": "message",
        "defined": "défini",
        "it": "le",
        "one": "un",
    }


def _count(match: re.Match[str], _element: Element, _diagrams: Diagrams) -> dict[str, str]:
    count = int(match.group(1))
    return {"count": "il n'en a aucun" if count == 0 else f"il en a {count}"}


def _tag(_match: re.Match[str], element: Element, _diagrams: Diagrams) -> dict[str, str]:
    return {"tag": element.tag.rsplit(":", 1)[-1] or "?"}


_SUBPROCESS_ENTRIES = (
    _entry(
        r"Exactly one start event is required in a SubWorkflow Task; found (\d+)",
        "{what}\u00a0: le moteur le commence par son événement de début, il en faut un et un seul "
        "({count})\u202f; placez dans le sous-processus un seul événement de début, sans "
        "type, relié à sa première étape",
        facts=_count,
    ),
    _entry(
        r"A SubWorkflow Must contain an End event",
        "{what} sans événement de fin\u00a0: le moteur ne saurait pas quand il s'achève\u202f; "
        "ajoutez un événement de fin au bout de son chemin",
    ),
    _entry(
        r'No "calledElement" attribute for Call Activity',
        "{what}\u00a0: elle ne dit pas quel processus appeler\u202f; indiquez l'identifiant du "
        "processus appelé dans son attribut calledElement",
    ),
    _entry(
        r"No start event found",
        "{what} sans événement de début\u00a0: le moteur ne saurait pas où commencer un "
        "dossier\u202f; ajoutez un événement de début relié à la première étape",
    ),
    _entry(
        r"Duplicate process ID: (.*)",
        "deux processus portent l'identifiant «\u00a0{0}\u00a0»\u00a0: donnez à l'un d'eux un "
        "autre identifiant (et mettez à jour ce qui l'appelle)",
    ),
)

_TASK_ENTRIES = (
    _entry(
        r"A Service Task must have an operator",
        "{what}\u00a0: elle ne dit pas quel service appeler\u202f; indiquez-le dans son extension "
        "spiffworkflow:serviceTaskOperator, ou faites-en une tâche de script (un calcul) ou une "
        "tâche humaine (un formulaire)",
    ),
    _entry(
        r"Multiple outgoing flows are not supported for tasks",
        "{what} a plusieurs flux sortants\u00a0: le moteur n'en suit qu'un depuis une "
        "activité\u202f; faites sortir un seul flux vers une passerelle, parallèle pour suivre "
        "tous les chemins, exclusive (avec des conditions) pour en choisir un",
    ),
    _entry(
        r"A loopMaximum or loopCondition must be specified for Loop Tasks",
        "{what} en boucle sans nombre maximal de passages (loopMaximum) ni condition d'arrêt "
        "(loopCondition)\u00a0: elle tournerait sans fin\u202f; indiquez l'un ou l'autre",
    ),
    _entry(
        r"A multiinstance task must specify a cardinality or a loop input data reference",
        "{what} multi-instance\u00a0: elle ne dit pas combien d'instances lancer\u202f; indiquez "
        "un nombre (loopCardinality) ou la collection à parcourir (loopDataInputRef)",
    ),
    _entry(
        r"A multiinstance task must specify exactly one of cardinality or loop input",
        "{what} multi-instance\u00a0: elle donne à la fois un nombre d'instances "
        "(loopCardinality) et une collection à parcourir (loopDataInputRef)\u202f; gardez l'un "
        "des deux",
    ),
    _entry(
        r"The loop (input|output) data reference is missing from the IO specification",
        "{what} multi-instance\u00a0: la collection qu'elle parcourt (loopDataInputRef ou "
        "loopDataOutputRef) n'est pas une donnée déclarée dans ses entrées et sorties "
        "(ioSpecification)\u202f; déclarez-la ou corrigez son nom",
    ),
    _entry(
        r"Cancel Events may only be used with transactions",
        "{what} porte un événement d'annulation, qui ne peut être attaché qu'à une "
        "transaction\u202f; faites-en une transaction ou utilisez un événement d'erreur",
    ),
    _entry(
        r"When looking for a task spec, we found two items, perhaps a form has the same ID\? "
        r"\((.*)\)",
        "{what}\u00a0: un de ses flux sortants mène à «\u00a0{0}\u00a0», qui n'est pas un élément "
        "de ce processus (identifiant absent, en double, ou dans un autre participant)\u202f; "
        "reliez le flux à un élément du même processus",
    ),
    _entry(
        r"There is no support implemented for this task type",
        "{what}\u00a0: le moteur n'exécute pas les éléments de ce type ({tag})\u202f; un flux y "
        "mène, remplacez-le par une tâche, une passerelle ou un événement",
        facts=_tag,
    ),
    _entry(
        r"Non-default exclusive outgoing sequence flow without condition",
        "{what} sort {gateway} sans condition et n'en est pas le flux par défaut\u00a0: le moteur "
        "ne saurait pas quand le suivre\u202f; donnez-lui une condition ou faites-en le flux par "
        "défaut de la passerelle",
        facts=_flow_source,
    ),
)

_EVENT_ENTRIES = (
    _entry(
        r"Time Specification Error\. Unknown Time Specification",
        "{what}\u00a0: la minuterie ne dit ni quand ni après combien de temps se déclencher\u202f; "
        'donnez-lui une date (timeDate, ex. "2026-03-01T09:00:00+01:00"), une durée '
        '(timeDuration, ex. "P30D") ou un cycle (timeCycle, ex. "R3/P1D")',
    ),
    _entry(
        r"raise_validation_exception\(\) got an unexpected keyword argument 'node'",
        "{what} renvoie {kind} «\u00a0{ref}\u00a0», {defined} nulle part dans le fichier\u00a0: "
        "ajoutez-{it} au niveau du document (bpmn:{kind_tag}) ou choisissez-en {one} qui existe",
        facts=_undefined_reference,
    ),
)

_DATA_ENTRIES = (
    _entry(
        r"Data Store with name ?(.*?) has no implementation",
        "{what}\u00a0: le moteur ne lit ni n'écrit aucun magasin de données\u202f; retirez-le du "
        "diagramme avec ses associations, ou gardez la donnée dans un objet de données du "
        "processus",
        locate=_data_store_named,
    ),
    _entry(
        r"Data Store name is missing",
        "{what}\u00a0: le moteur ne lit ni n'écrit aucun magasin de données\u202f; retirez-le du "
        "diagramme avec ses associations, ou gardez la donnée dans un objet de données du "
        "processus",
        locate=_data_store_without("name"),
    ),
    _entry(
        r"Data Store identifier is missing",
        "{what} sans identifiant\u00a0: donnez-lui un identifiant, ou retirez-le (le moteur ne "
        "lit ni n'écrit aucun magasin de données)",
        locate=_identifier_missing("dataStore"),
    ),
    _entry(
        r"Cannot resolve dataInputAssociation",
        "{what} lit {target}\u00a0: le moteur ne lit que les objets de données du processus\u202f; "
        "reliez l'association à un objet de données ou supprimez-la",
        facts=_unresolved_data("Input"),
    ),
    _entry(
        r"Cannot resolve dataOutputAssociation",
        "{what} écrit dans {target}\u00a0: le moteur n'écrit que dans les objets de données du "
        "processus\u202f; reliez l'association à un objet de données ou supprimez-la",
        facts=_unresolved_data("Output"),
    ),
    *(
        _entry(
            rf"{english} identifier is missing from bpmn xml",
            "{what} sans identifiant\u00a0: donnez-lui un identifiant (attribut id), les "
            "événements le désignent par lui",
            locate=_identifier_missing(local),
        )
        for english, local in (
            ("Message", "message"),
            ("Signal", "signal"),
            ("Error", "error"),
            ("Escalation", "escalation"),
            ("Correlation", "correlationProperty"),
        )
    ),
)

_DECISION_ENTRIES = (
    _entry(
        r'No DMN Diagram available with id "([^"]*)"',
        "{what} appelle la table de décision «\u00a0{0}\u00a0», introuvable dans les fichiers DMN "
        "du modèle\u00a0: ajoutez le fichier DMN ou corrigez l'identifiant de la décision",
    ),
    _entry(
        r"Malformed Output Expression '(.*)'",
        "une sortie de la table de décision n'est pas une expression valide ({0})\u00a0: écrivez "
        "une valeur (un texte entre guillemets, un nombre…) ou une expression Python",
    ),
)

PARSE_ENTRIES: tuple[Entry, ...] = (
    *_SUBPROCESS_ENTRIES,
    *_TASK_ENTRIES,
    *_EVENT_ENTRIES,
    *_DATA_ENTRIES,
    *_DECISION_ENTRIES,
)
