"""What a task's form may name beyond its own fields: pieces of this dossier, people the rule
accepts; and the dossier's title taken from the form."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.core.models import Document, Instance, User, as_id
from engine.definitions.definition import ProcessDefinition
from engine.definitions.forms import FormDefinition
from engine.workflow.access import may_be_designated


def check_references(
    session: Session,
    definition: ProcessDefinition,
    form: FormDefinition,
    instance: Instance,
    data: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Pieces must belong to this dossier; designated users must hold the expected role."""
    for name in form.file_fields():
        value = data.get(name)
        ids = value if isinstance(value, list) else ([value] if value else [])
        for doc_id in ids:
            key = as_id(doc_id)
            document = session.get(Document, key) if key is not None else None
            if document is None or document.instance_id != instance.id:
                errors[name] = "Cette pièce n'appartient pas à ce dossier."
    for name, role in form.user_fields().items():
        value = data.get(name)
        if value is None:
            continue
        key = as_id(value)
        user = session.get(User, key) if key is not None else None
        if user is None or not may_be_designated(definition, instance, name, role, user):
            errors[name] = "Choisissez une personne de la liste."


def update_title(definition: ProcessDefinition, instance: Instance, data: dict[str, Any]) -> None:
    if definition.title_field and isinstance(data.get(definition.title_field), str):
        instance.title = data[definition.title_field][:300]
