"""The names diagram code may read: what a dossier of the definition can hold, wherever the model
sets it (forms, lanes, data objects, events, scripts, decision tables), and our helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.bpmn import sandbox, spiff
from engine.definitions.code_names import script_names
from engine.definitions.definition import ProcessDefinition
from engine.definitions.element_code import decision_table, element_label, scripts

# Process variables set when a dossier opens, before any form: by
# engine.workflow.actions.starting for every dossier, and by engine.register.life for a
# withdrawal and for a renewal.
START_VARIABLES = frozenset({"organisation_id", "type_organisation", "delai_complements_jours"})
REGISTER_START_VARIABLES = frozenset(
    {
        "numero_inventaire",
        "intitule_certification",
        "fin_validite",
        "certificateur_connu",
        "demande_audition",
        "delai_observations_jours",
        "delai_limite_delivrance_mois",
        "date_limite_delivrance",
        "renouvellement_de",
        "fin_validite_precedente",
    }
)
# What sets a variable: an element's label and its part ("script", "prescript"… or "table").
Setter = tuple[str, str]
TABLE = "table"
SANDBOX_NAMES = frozenset(sandbox.HELPERS) | frozenset(sandbox.BUILTINS)


@dataclass(frozen=True)
class KnownNames:
    """The names diagram code may read: process variables the model can set, and our helpers."""

    variables: frozenset[str]
    # Form fields kept out of the process variables (`"ui:storage": "dossier"`).
    dossier_only: frozenset[str]
    # Variables set only by diagram code (scripts, decision tables), with what sets them.
    setters: dict[str, frozenset[Setter]]

    def problems(
        self, where: str, reads: Iterable[str], reader: Setter | None = None
    ) -> Iterator[str]:
        """`reader`: the script or table reading them, which sets its own variables only after
        reading (a name nothing else sets is unknown when it runs)."""
        for name in sorted(set(reads)):
            own = reader is not None and self.setters.get(name) == {reader}
            if name in self.variables and not own:
                continue
            if own:
                yield (
                    f"{where}\u00a0: nom inconnu «\u00a0{name}\u00a0» (seul cet élément l'affecte, "
                    "après l'avoir lu)\u202f; donnez-lui une valeur avant de le lire"
                )
            elif name in self.dossier_only:
                yield (
                    f"{where}\u00a0: nom inconnu «\u00a0{name}\u00a0» (champ conservé au dossier, "
                    "«\u00a0ui:storage\u00a0»\u00a0: «\u00a0dossier\u00a0», pas une variable du "
                    "processus)"
                )
            else:
                yield (
                    f"{where}\u00a0: nom inconnu «\u00a0{name}\u00a0» "
                    "(ni champ de formulaire, ni variable du processus)\u202f; corrigez le nom, ou "
                    "faites-le remplir par un formulaire ou un script d'une étape précédente"
                )


def known_names(definition: ProcessDefinition) -> KnownNames:
    """Every name a dossier of this definition can hold, wherever the model sets it."""
    names = set(START_VARIABLES | REGISTER_START_VARIABLES | SANDBOX_NAMES)
    dossier_only: set[str] = set()
    for form in definition.forms.values():
        process_fields = set(form.process_fields())
        names |= process_fields | form.derived_names()
        dossier_only |= {field.name for field in form.fields} - process_fields
    names |= {
        rule.assignee_variable for rule in definition.lanes.values() if rule.assignee_variable
    }
    parsed = definition.parsed
    for process in [parsed.spec, *parsed.subprocess_specs.values()]:
        names |= {name for name in getattr(process, "data_objects", None) or {}}
    setters: dict[str, set[Setter]] = {}
    for task_spec in spiff.all_task_specs(parsed):
        names |= _names_set_by(task_spec)
        label = element_label(task_spec)
        for attribute, source in scripts(task_spec):
            for name in script_names(source).stores:
                setters.setdefault(name, set()).add((label, attribute))
        for name in _decision_outputs(task_spec):
            setters.setdefault(name, set()).add((label, TABLE))
    by_code = {name: frozenset(keys) for name, keys in setters.items() if name not in names}
    every = frozenset(names | set(by_code))
    return KnownNames(every, frozenset(dossier_only - every), by_code)


def _decision_outputs(task_spec: Any) -> set[str]:
    names = set()
    for output in getattr(decision_table(task_spec), "outputs", None) or []:
        key = getattr(output, "name", None) or getattr(output, "label", None)
        if isinstance(key, str) and key:
            names.add(key.split(".")[0])  # "a.b" fills the dict `a`
    return names


def _names_set_by(task_spec: Any) -> set[str]:
    """What this element sets, scripts and decision tables apart."""
    names: set[str] = set()
    result = getattr(task_spec, "result_variable", None)  # a service task's answer
    if isinstance(result, str) and result:
        names.add(result)
    event_definition = getattr(task_spec, "event_definition", None)
    for attribute in ("message_var", "variable"):  # a message's or signal's payload
        value = getattr(event_definition, attribute, None)
        if isinstance(value, str) and value:
            names.add(value)
    for attribute in ("input_item", "output_item", "data_output"):  # multi-instance items
        item = getattr(task_spec, attribute, None)
        bpmn_id = getattr(item, "bpmn_id", None)
        if isinstance(bpmn_id, str) and bpmn_id:
            names.add(bpmn_id)
    return names
