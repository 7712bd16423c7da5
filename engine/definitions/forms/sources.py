"""Lists a form field offers from the database (`ui:widget: "choix"`, `ui:options.source`).

A process owner names a source in the UI schema; the deployment checks the name and the field's
type here. The engine (engine/workflow/choices.py) reads the options when the page is shown,
checks the chosen value again when the form is posted, and writes into the process variables
the values the source derives from the chosen option (`derives`): diagram code reads them as it
would read a field of the form.
"""

from __future__ import annotations

from dataclasses import dataclass

# Where a submission keeps, beside the form's values, what each chosen option read when it was
# chosen (« 12 mars 2027 à 14 h 00 — Salle 3 »): the dossier's history shows it, not an id.
CHOICE_LABELS = "_libelles_choix"


@dataclass(frozen=True)
class ChoiceSource:
    name: str
    # The JSON type of the field that holds the chosen option's id.
    json_type: str
    # The process variables set from the chosen option, beside the field itself.
    derives: tuple[str, ...]
    description: str


SOURCES: dict[str, ChoiceSource] = {
    "seances": ChoiceSource(
        name="seances",
        json_type="integer",
        derives=("date_seance", "heure_seance", "seance_tenue"),
        description=(
            "les séances de la commission du processus\u00a0: prévues et à venir, ou tenues "
            "(« Délibérer » s'ouvre alors aussitôt)"
        ),
    ),
}
