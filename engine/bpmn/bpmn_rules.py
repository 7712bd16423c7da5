"""Rules read on the BPMN XML itself, before SpiffWorkflow parses it: what it would run wrongly."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from engine.core.typography import one_line

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# Elements SpiffWorkflow 3.2 does not run (or runs wrongly): refused with the reason.
UNSUPPORTED = {
    "complexGateway": "passerelle complexe non exécutée par le moteur\u202f; remplacez-la par une "
    "passerelle inclusive (avec des conditions) ou parallèle",
    "adHocSubProcess": "sous-processus ad hoc non exécuté par le moteur\u202f; remplacez-le par un "
    "sous-processus ordinaire dont les flux fixent l'ordre des tâches",
    "compensateEventDefinition": "la compensation n'est pas exécutée par le moteur\u202f; "
    "modélisez l'annulation par des tâches sur le chemin qui la demande, ou retirez cet événement",
    "conditionalEventDefinition": "les événements conditionnels ne sont pas exécutés par le "
    "moteur\u202f; testez la condition dans une passerelle exclusive, ou attendez un message ou "
    "une minuterie",
    "linkEventDefinition": "les événements de lien ne sont pas exécutés par le moteur\u202f; "
    "reliez les deux endroits par un flux",
}


def _label(node: etree._Element) -> str:
    element = node.get("id") or etree.QName(node).localname
    name = one_line(node.get("name") or "")  # one line, as the studio shows it
    return f"{element}: «\u00a0{name}\u00a0»" if name else f"{element}:"


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
                    f"{_label(sub)} sous-processus événementiel interrompant\u00a0: le moteur "
                    "ignore l'interruption (utilisez un événement de bordure interrompant)"
                )
    return problems


# A repeating timer ("R5/P1D") adds a branch to the dossier each time it fires: its repetitions
# are bounded and spaced, or it would fire forever and grow the dossier's state without bound.
MAX_TIMER_REPETITIONS = 100
MIN_TIMER_INTERVAL = timedelta(hours=1)


def cycle_problem(repetitions: int, interval: timedelta) -> str | None:
    """The French reason a repeating timer is refused (its count, its interval), or None.

    `repetitions` is SpiffWorkflow's count: -1 when the text gives none ("R/P1D").
    """
    if repetitions == 0:
        return None  # never fires
    reasons = []
    if repetitions < 0:
        reasons.append("sans nombre de répétitions (elle se répéterait sans fin)")
    elif repetitions > MAX_TIMER_REPETITIONS:
        reasons.append(f"{repetitions} répétitions, {MAX_TIMER_REPETITIONS} au plus")
    if interval < MIN_TIMER_INTERVAL:
        reasons.append(
            f"intervalle de {french_duration(interval)}, "
            f"{french_duration(MIN_TIMER_INTERVAL)} au moins"
        )
    return "\u202f; ".join(reasons) or None


def french_duration(duration: timedelta) -> str:
    """A short duration as people write it: "30 s", "10 min", "1 h 30 min", "2 j"."""
    seconds = int(duration.total_seconds())
    if seconds <= 0:
        return "0 s"
    parts = []
    for unit, size in (("j", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts)
