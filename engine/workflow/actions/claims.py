"""Taking a task (*Prendre en charge*), giving it back (*Libérer*), handing it over
(*Réattribuer*)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine import jobs
from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import Forbidden, FormInvalid
from engine.core.models import User, WorkItem
from engine.definitions.definition import definition_for
from engine.emails import notifications
from engine.workflow.access import (
    enforce,
    may_hold,
    refusal_to_claim,
    refusal_to_reassign,
    refusal_to_release,
)
from engine.workflow.conflicts import flush_or_conflict
from engine.workflow.lookup import item_with_instance, open_item_for
from engine.workflow.state import load_workflow, restatus, save_state


def claim(session: Session, actor: Actor, work_item_id: int) -> WorkItem:
    """Prendre en charge: the item becomes the actor's alone until released."""
    item, instance = open_item_for(session, actor, work_item_id, refusal_to_claim)
    item.claimed_by_id = actor.id
    item.claimed_at = utcnow()
    restatus(session, instance, actor)
    audit.record(
        session,
        instance.id,
        actor,
        "prise_en_charge",
        f"«\u00a0{item.task_title}\u00a0» prise en charge.",
        task_spec=item.task_spec,
    )
    flush_or_conflict(session)
    return item


def release(session: Session, actor: Actor, work_item_id: int) -> WorkItem:
    """Libérer: back to the role's shared queue."""
    item, instance = open_item_for(session, actor, work_item_id, refusal_to_release)
    item.claimed_by_id = None
    item.claimed_at = None
    restatus(session, instance, actor)
    audit.record(
        session,
        instance.id,
        actor,
        "liberation",
        f"«\u00a0{item.task_title}\u00a0» libérée.",
        task_spec=item.task_spec,
    )
    flush_or_conflict(session)
    return item


def reassign(session: Session, actor: Actor, work_item_id: int, user_id: int) -> WorkItem:
    """Réattribuer: the secrétariat (or an admin) hands a task to another holder of its role."""
    item, instance = item_with_instance(session, work_item_id)
    enforce(session, refusal_to_reassign(actor, item))
    target = session.get(User, user_id)
    if target is None or not target.active or item.role not in target.role_names:
        raise FormInvalid({"utilisateur": "Choisissez une personne de la liste."})
    if not may_hold(Actor.from_user(target), item.role, item.organisation_id):
        # The task is the dossier's organisation's: nobody outside it may receive it.
        raise Forbidden(
            f"{target.name} n'appartient pas à l'organisation de ce dossier\u00a0: "
            "la tâche ne peut pas lui être réattribuée."
        )
    definition = definition_for(session, instance.process_version_id)
    rule = definition.lane_rule(item.lane)
    if rule is not None and rule.assignee_variable:
        # The designation is a process variable: change it where the process will read it.
        workflow = load_workflow(session, instance, definition)
        task = spiff.find_task(workflow, item.task_id)
        if task is not None:
            task.set_data(**{rule.assignee_variable: target.id})
            save_state(session, instance, workflow)
        item.assignee_id = target.id
    item.claimed_by_id = target.id
    item.claimed_at = utcnow()
    restatus(session, instance, actor)  # taken by the target: the same label as a claim
    audit.record(
        session,
        instance.id,
        actor,
        "reattribution",
        f"«\u00a0{item.task_title}\u00a0» réattribuée à {target.name}.",
        task_spec=item.task_spec,
    )
    if target.id != actor.id:
        jobs.enqueue(session, [notifications.for_reassignment(session, instance, item, target)])
    flush_or_conflict(session)
    return item
