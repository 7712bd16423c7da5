"""Keeping a task's partial input between visits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import FormInvalid
from engine.core.models import WorkItem
from engine.definitions.definition import definition_for
from engine.definitions.forms import validate
from engine.workflow.actions.form_checks import check_references, update_title
from engine.workflow.conflicts import flush_or_conflict
from engine.workflow.lookup import form_of, open_item_for


def save_draft(
    session: Session,
    actor: Actor,
    work_item_id: int,
    data: dict[str, Any],
    *,
    fields: list[str] | None = None,
) -> WorkItem:
    """Keep partial input between visits (types and sizes checked, required fields not)."""
    item, instance = open_item_for(session, actor, work_item_id)
    definition = definition_for(session, instance.process_version_id)
    form = form_of(definition, item)
    errors = validate(form, data, partial=True, fields=fields)
    if errors:
        raise FormInvalid(errors, data)
    check_references(session, definition, form, instance, data, errors)
    if errors:
        raise FormInvalid(errors, data)
    draft = dict(item.draft or {})
    for name in fields if fields is not None else [field.name for field in form.fields]:
        draft.pop(name, None)
    draft.update(data)
    item.draft = draft
    update_title(definition, instance, draft)
    instance.updated_at = utcnow()
    audit.record(
        session, instance.id, actor, "brouillon", "Brouillon enregistré.", task_spec=item.task_spec
    )
    flush_or_conflict(session)
    return item
