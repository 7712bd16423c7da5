"""Keeping a task's partial input between visits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.core import audit, audit_chain
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import Conflict, FormInvalid
from engine.core.models import Document, Instance, WorkItem
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


def delete_draft(session: Session, actor: Actor, work_item_id: int) -> list[str]:
    """*Supprimer le brouillon*: a dossier never filed disappears with its pieces (their storage
    keys are returned, for the caller to remove the files once committed).

    Only one who may fill its form may delete it (its organisation's submitters); the trail keeps
    an event without dossier saying who deleted what.
    """
    item, instance = open_item_for(session, actor, work_item_id)
    definition = definition_for(session, instance.process_version_id)
    if item.task_spec not in definition.depot_tasks() or instance.date_depot is not None:
        raise Conflict("Cette demande a été déposée\u00a0: elle ne peut plus être supprimée.")
    keys = list(
        session.scalars(select(Document.storage_key).where(Document.instance_id == instance.id))
    )
    audit.record(
        session,
        None,
        actor,
        "brouillon_supprime",
        f"Brouillon supprimé\u00a0: «\u00a0{instance.title or 'Demande sans intitulé'}\u00a0».",
        details={"dossier": instance.id, "organisation": instance.organisation_id},
    )
    # Its trail stays in the chains, its content blanked; the rows that hang on the dossier go
    # with it (ON DELETE CASCADE on every such table).
    audit_chain.detach_draft(session, instance.id)
    session.execute(delete(Instance).where(Instance.id == instance.id))
    session.expunge(item)
    session.expunge(instance)
    return keys
