"""Project a workflow's ready human tasks into `work_item` rows (lane → role, designated user);
the status they give is engine.workflow.status's.

A new reviewer's task arrives already taken when its holder is known, to spare them
*Prendre en charge*: the designated person (a lane's `assignee_variable`, e.g. the rapporteur),
else the agent who last completed the same task in this dossier (a loop coming back: the agent
who asked for complements gets the answered dossier back), while they still hold its role.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import SYSTEM, Actor
from engine.core.clock import utcnow
from engine.core.errors import ProcessModelError
from engine.core.models import Instance, User, WorkItem, WorkItemStatus, as_id
from engine.definitions.definition import ProcessDefinition
from engine.workflow.access import may_hold


def project(
    session: Session,
    instance: Instance,
    definition: ProcessDefinition,
    workflow: Any,
    *,
    completed_task_id: str | None = None,
    actor: Actor | None = None,
) -> list[WorkItem]:
    """Close the rows of tasks no longer ready, open rows for new ones; return the open rows."""
    now = utcnow()
    ready = {spiff.task_id_of(task): task for task in spiff.ready_human_tasks(workflow)}
    open_items = _open_items(session, instance)
    result: list[WorkItem] = []
    for item in open_items:
        if item.task_id in ready:
            result.append(item)
            continue
        done = item.task_id == completed_task_id
        item.status = WorkItemStatus.COMPLETED if done else WorkItemStatus.CANCELLED
        item.completed_at = now
        if done and actor is not None:
            item.completed_by_id = actor.id
        item.draft = None
    known = {item.task_id for item in open_items}
    for task_id, task in ready.items():
        if task_id in known:
            continue
        item = _new_item(instance, definition, task, task_id)
        taker = _taker(session, instance, workflow, item)
        if taker is not None:
            item.claimed_by_id = taker.id
            item.claimed_at = now
            audit.record(
                session,
                instance.id,
                SYSTEM,
                "attribution",
                f"«\u00a0{item.task_title}\u00a0» attribuée d'office à {taker.name}.",
                task_spec=item.task_spec,
            )
        session.add(item)
        result.append(item)
    return result


def _open_items(session: Session, instance: Instance) -> list[WorkItem]:
    """The dossier's open rows: those its action loaded with it (`lookup.with_open_items`),
    then forgotten (the projection changes them), else read."""
    if "open_items" not in sa.inspect(instance).unloaded:
        loaded = list(instance.open_items)
        session.expire(instance, ["open_items"])
        return loaded
    return list(
        session.scalars(
            select(WorkItem).where(
                WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
            )
        )
    )


def _new_item(
    instance: Instance, definition: ProcessDefinition, task: Any, task_id: str
) -> WorkItem:
    lane = spiff.lane_of(task)
    rule = definition.lane_rule(lane)
    if rule is None:
        raise ProcessModelError(
            f"{spiff.spec_id(task)}: la tâche n'est dans aucun couloir associé à un rôle."
        )
    if rule.scope == "organisation" and instance.organisation_id is None:
        # Never a task open to every organisation's submitters.
        raise ProcessModelError(
            f"{spiff.spec_id(task)}: la tâche revient à l'organisation du dossier, qui n'en a pas."
        )
    assignee_id = None
    if rule.assignee_variable:
        value = task.data.get(rule.assignee_variable)
        assignee_id = as_id(value)
    properties = spiff.task_properties(task.task_spec)
    return WorkItem(
        instance_id=instance.id,
        task_id=task_id,
        task_spec=spiff.spec_id(task),
        task_title=spiff.spec_title(task),
        lane=lane,
        role=rule.role,
        organisation_id=instance.organisation_id if rule.scope == "organisation" else None,
        assignee_id=assignee_id,
        form=properties.get("formJsonSchemaFilename"),
        status=WorkItemStatus.OPEN,
        created_at=utcnow(),
    )


def _taker(session: Session, instance: Instance, workflow: Any, item: WorkItem) -> User | None:
    """Who gets a new reviewer's task already taken (see the module's docstring), or None."""
    if item.organisation_id is not None:
        return None  # a submitter's task stays open to the whole organisation
    candidate = item.assignee_id
    # The workflow in memory says whether the task was done before: most are not, no query.
    if candidate is None and spiff.has_completed(workflow, item.task_spec):
        candidate = session.scalar(
            select(WorkItem.completed_by_id)
            .where(
                WorkItem.instance_id == instance.id,
                WorkItem.task_spec == item.task_spec,
                WorkItem.status == WorkItemStatus.COMPLETED,
            )
            .order_by(WorkItem.id.desc())
            .limit(1)
        )
    if candidate is None:
        return None
    user = session.get(User, candidate)
    if user is None or not user.active or not may_hold(Actor.from_user(user), item.role, None):
        return None
    return user
