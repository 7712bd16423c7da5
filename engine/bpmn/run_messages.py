"""The errors SpiffWorkflow raises while a dossier runs, in French: the element, what to do."""

from __future__ import annotations

from typing import Any

from engine.bpmn.elements import Element, one_line
from engine.bpmn.message_entries import Entry, english_text
from engine.bpmn.message_entries import entry as _entry

RUN_ENTRIES: tuple[Entry, ...] = (
    _entry(
        r"No conditions satisfied (?:on gateway|for )",
        "{what}\u00a0: aucune condition de ses flux sortants n'est vraie pour ce dossier et elle "
        "n'a pas de flux par défaut\u202f; le dossier ne peut pas avancer. Ajoutez à la "
        "passerelle un flux par défaut, ou des conditions qui couvrent tous les cas",
    ),
    _entry(
        r"A data object could not be set; '([^']*)' not exist",
        "{what} devait écrire l'objet de données «\u00a0{0}\u00a0» mais ne l'a pas produit\u00a0: "
        "donnez-lui une valeur dans cette étape (champ du formulaire ou variable du script du "
        "même nom)",
    ),
    _entry(
        r"Missing data (?:input|ouput|output)",
        "{what} attend une donnée déclarée dans ses entrées ou sorties (ioSpecification) que le "
        "dossier ne contient pas\u00a0: faites-la produire avant, ou retirez-la de ses données",
    ),
    _entry(
        r"You are missing a required Data Input for a call activity",
        "{what} appelle un processus qui attend une donnée d'entrée absente de ce dossier\u00a0: "
        "faites-la produire avant l'appel, ou retirez-la des entrées du processus appelé",
    ),
    _entry(
        r"The Data Output was not available in the subprocess output",
        "{what}\u00a0: le processus appelé s'est achevé sans produire une donnée de sortie qu'il "
        "déclare\u202f; faites-la produire par le processus appelé, ou retirez-la de ses sorties",
    ),
    _entry(
        r"Multiinstance (input|output) item (.*) already exists",
        "{what} multi-instance\u00a0: la donnée «\u00a0{1}\u00a0» propre à chaque instance existe "
        "déjà dans le dossier\u202f; donnez à l'élément de chaque instance un nom que le dossier "
        "n'utilise pas",
    ),
    _entry(
        r"If (?:the input is not being updated in place|loop cardinality is specificied)",
        "{what} multi-instance\u00a0: la collection de sortie doit être vide (ou un dictionnaire) "
        "avant le début des instances\u202f; donnez-lui un autre nom ou videz-la",
    ),
    _entry(
        r"^(?:Invalid duration|Invalid recurring interval|Invalid isoformat string.*|"
        r"Unable to parse.*)$",
        "{what}\u00a0: la minuterie a reçu un texte qui n'est pas une date, une durée ou un cycle "
        'ISO 8601 (ex. "P30D", "2026-03-01T09:00:00+01:00", "R3/P1D")\u202f; corrigez son '
        "expression ou la donnée qu'elle lit",
    ),
)


def run_time_message(error: BaseException, task_spec: Any) -> str:
    """An error SpiffWorkflow raised while running the element, as one French line."""
    element = Element.of_spec(task_spec) if task_spec is not None else Element("processus")
    text = english_text(error)
    if _raised_reading_a_timer(error):
        text = "Invalid duration"  # whatever SpiffWorkflow's timer parsing tripped on
    for entry in RUN_ENTRIES:
        match = entry.pattern.search(text)
        if match is None:
            continue
        groups = [one_line(group or "") for group in match.groups()]
        return f"{element.id}: " + entry.text.format(*groups, what=element.described)
    return (
        f"{element.id}: erreur du moteur dans {element.described} "
        f"({type(error).__name__}\u00a0: {text[:300]})"
    )


def _raised_reading_a_timer(error: BaseException) -> bool:
    """Whether SpiffWorkflow's timer code raised it: the text it was given is not ISO 8601 (a
    number, a sentence), whatever its words (`invalid literal for int()`, `no attribute`)."""
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename.endswith(_TIMER_MODULE):
            return True
        trace = trace.tb_next
    return False


_TIMER_MODULE = "/".join(("event_definitions", "timer.py"))

__all__ = ["RUN_ENTRIES", "run_time_message"]
