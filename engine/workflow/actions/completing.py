"""Completing a human task with its form, then running the process on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.counter import dossier_reference
from engine.core.errors import Conflict, FormInvalid
from engine.core.models import InstanceStatus, Submission
from engine.definitions.definition import definition_for
from engine.definitions.forms import prune_hidden, split_for_storage, validate
from engine.definitions.forms.sources import CHOICE_LABELS
from engine.emails.recipients import remember_contact
from engine.workflow import choices, followups
from engine.workflow.actions.form_checks import check_references, update_title
from engine.workflow.conflicts import conflict_message, flush_or_conflict
from engine.workflow.lookup import form_of, open_item_for
from engine.workflow.state import load_workflow, refresh_projection, save_state


@dataclass(frozen=True)
class ActionResult:
    instance_id: int
    reference: str | None
    status_label: str
    message: str


def complete_work_item(
    session: Session, actor: Actor, work_item_id: int, data: dict[str, Any]
) -> ActionResult:
    """Complete a human task with the submitted form data, then run the process on."""
    item, instance = open_item_for(session, actor, work_item_id)
    definition = definition_for(session, instance.process_version_id)
    form = form_of(definition, item)
    errors = validate(form, data)
    check_references(session, definition, form, instance, data, errors)
    derived = choices.derived_values(session, definition, form, data, errors)
    if errors:
        raise FormInvalid(errors, data)
    workflow = load_workflow(session, instance, definition)
    task = spiff.find_task(workflow, item.task_id)
    if task is None or not spiff.is_ready_human_task(task):
        raise Conflict(conflict_message(session, item.id), work_item_id=item.id)
    timers_before = {timer.task_id for timer in spiff.waiting_timers(workflow)}
    data = prune_hidden(form, data)
    process_values, _dossier_values = split_for_storage(form, data)
    process_values |= derived
    spiff.complete_human_task(task, process_values)
    completed = [task]
    spiff.run_engine(workflow, completed)

    properties = spiff.task_properties(task.task_spec)
    now = utcnow()
    messages = []
    if properties.get("depot") == "true" and instance.reference is None:
        instance.reference = dossier_reference(session, now.year, definition.reference_prefix)
        instance.date_depot = now
        messages.append(f"Votre demande est déposée sous la référence {instance.reference}.")
    update_title(definition, instance, data)
    choices.record_choices(session, actor, instance, form, data)
    labels = choices.chosen_labels(session, form, data)
    remember_contact(instance, data)
    item.claimed_by_id = item.claimed_by_id or actor.id
    # Everything below is written by one flush at the end: one UPDATE of the instance (state,
    # status, lock version) instead of two, the inserts batched by the unit of work.
    save_state(session, instance, workflow, flush=False, completed=completed)
    with session.no_autoflush:
        items = refresh_projection(
            session, instance, definition, workflow, completed_task_id=item.task_id, actor=actor
        )
    new_items = [row for row in items if row.id is None]
    session.add(
        Submission(
            instance_id=instance.id,
            work_item_id=item.id,
            task_spec=item.task_spec,
            task_title=item.task_title,
            form=item.form or "",
            data=data | ({CHOICE_LABELS: labels} if labels else {}),
            submitted_by_id=actor.id,
            submitted_at=now,
        )
    )
    kind = "depot" if properties.get("depot") == "true" else "tache"
    summary = (
        f"Demande déposée ({instance.reference})."
        if kind == "depot"
        else f"«\u00a0{item.task_title}\u00a0» traitée."
    )
    audit.record(
        session,
        instance.id,
        actor,
        kind,
        summary,
        task_spec=item.task_spec,
        details=audit.summarize_changes(process_values),
    )
    if instance.status == InstanceStatus.COMPLETED:
        audit.record(
            session, instance.id, actor, "fin", f"Dossier clos\u00a0: {instance.status_label}."
        )
    flush_or_conflict(session, instance_id=instance.id)
    followups.after_change(
        session,
        instance,
        workflow,
        actor,
        completed=completed,
        new_items=new_items,
        timers_before=timers_before,
    )
    messages.append(f"Statut du dossier\u00a0: {instance.status_label}.")
    return ActionResult(instance.id, instance.reference, instance.status_label, " ".join(messages))
