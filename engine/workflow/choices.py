"""The lists a form's `choix` fields offer from the database (engine/definitions/forms/sources.py
names them; the deployment checks the names): what the page offers, the check of the posted
value, the process variables derived from it, and what the choice records once the task is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.models import Instance
from engine.definitions.definition import ProcessDefinition
from engine.definitions.forms import FormDefinition
from engine.workflow.seances import choice as seance_choice

Options = Callable[[Session, ProcessDefinition], list[tuple[str, str]]]
Derive = Callable[[Session, ProcessDefinition, Any], dict[str, Any] | None]
Record = Callable[[Session, Actor, Instance, Any], None]
Describe = Callable[[Session, Any], str | None]


@dataclass(frozen=True)
class Provider:
    options: Options
    # The process variables of a valid choice; None when the value is not (or no longer) offered.
    derive: Derive
    refused: str
    record: Record
    # What the chosen option reads (kept with the submission, for the dossier's history).
    describe: Describe


PROVIDERS: dict[str, Provider] = {
    "seances": Provider(
        options=seance_choice.options,
        derive=seance_choice.derive,
        refused=seance_choice.REFUSED,
        record=seance_choice.record,
        describe=seance_choice.describe,
    ),
}


def offered(
    session: Session, definition: ProcessDefinition, form: FormDefinition
) -> dict[str, list[tuple[str, str]]]:
    """For each `choix` field of the form, the (value, label) pairs its page offers."""
    return {
        name: PROVIDERS[source].options(session, definition)
        for name, source in form.choice_fields().items()
        if source in PROVIDERS
    }


def derived_values(
    session: Session,
    definition: ProcessDefinition,
    form: FormDefinition,
    data: dict[str, Any],
    errors: dict[str, str],
) -> dict[str, Any]:
    """The process variables the chosen options set; a value not offered is an error."""
    values: dict[str, Any] = {}
    for name, source in form.choice_fields().items():
        provider = PROVIDERS.get(source)
        if provider is None or data.get(name) in (None, ""):
            continue
        found = provider.derive(session, definition, data[name])
        if found is None:
            errors[name] = provider.refused
        else:
            values.update(found)
    return values


def record_choices(
    session: Session, actor: Actor, instance: Instance, form: FormDefinition, data: dict[str, Any]
) -> None:
    """What the chosen options record beside the workflow (a dossier on a séance's agenda)."""
    for name, source in form.choice_fields().items():
        provider = PROVIDERS.get(source)
        if provider is not None and data.get(name) not in (None, ""):
            provider.record(session, actor, instance, data[name])


def chosen_labels(session: Session, form: FormDefinition, data: dict[str, Any]) -> dict[str, str]:
    """What each chosen option reads, by field (kept in the submission under CHOICE_LABELS)."""
    labels: dict[str, str] = {}
    for name, source in form.choice_fields().items():
        provider = PROVIDERS.get(source)
        if provider is not None and data.get(name) not in (None, ""):
            label = provider.describe(session, data[name])
            if label:
                labels[name] = label
    return labels
