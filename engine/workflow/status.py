"""A dossier's French status label: one rule, whatever the action that changes it.

Each user task, waiting event and end event of a diagram may carry a `statut` property, and a
user task a `statutPrisEnCharge` (its label once someone took it). The dossier reads:

1. when closed, the `statut` of the end event it reached;
2. else, among its open tasks, the `statutPrisEnCharge` of a task someone took (the oldest
   such task): the work in progress is what the submitter wants to know;
3. else the `statut` of its oldest open task that has one;
4. else the `statut` of an event it waits for (a timer, a message);
5. else its label does not change.

Claiming, releasing, completing, firing a timer: every action calls `dossier_status` on the
open work items, so they never disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import SYSTEM, Actor
from engine.core.models import Instance, InstanceStatus, ProcessVersion, WorkItem, WorkItemStatus
from engine.definitions.definition import ProcessDefinition, definition_for
from engine.webhooks import outbox

# The label of a dossier an action had to stop (engine.workflow.actions.failures).
ERROR_LABEL = "En erreur"


def dossier_status(
    definition: ProcessDefinition,
    instance: Instance,
    open_items: Iterable[WorkItem],
    waiting_labels: Callable[[], Iterable[str]],
) -> str:
    """The label the rule above gives. `waiting_labels` yields the `statut` of the events the
    dossier waits for: called only when no open task decides (it may restore the workflow)."""
    current = instance.status_label
    if instance.status == InstanceStatus.COMPLETED:
        end = definition.task_spec(instance.end_event) if instance.end_event else None
        return spiff.task_properties(end).get("statut", current) if end is not None else current
    ordered = sorted(open_items, key=_age)
    properties = [(item, _properties(definition, item)) for item in ordered]
    for item, props in properties:
        if item.claimed_by_id and props.get("statutPrisEnCharge"):
            return props["statutPrisEnCharge"]
    for _item, props in properties:
        if props.get("statut"):
            return props["statut"]
    return next(iter(waiting_labels()), current)


def waiting_labels_of(workflow: Any) -> Callable[[], list[str]]:
    """The `statut` of the events a restored workflow waits for, in the tree's order."""

    def labels() -> list[str]:
        found = (
            spiff.task_properties(task.task_spec).get("statut")
            for task in spiff.waiting_tasks(workflow)
        )
        return [label for label in found if label]

    return labels


def set_status(session: Session, instance: Instance, label: str, actor: Actor | None) -> None:
    """Change the French status, leaving a trace the submitter can read."""
    if label == instance.status_label:
        return
    instance.status_label = label
    audit.record(session, instance.id, actor or SYSTEM, "statut", f"Statut\u00a0: {label}.")
    outbox.dossier_status_changed(session, instance)


def open_items_of(session: Session, instance: Instance) -> list[WorkItem]:
    return list(
        session.scalars(
            select(WorkItem).where(
                WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
            )
        )
    )


def process_statuses(session: Session) -> list[str]:
    """Every label a dossier can show, from the deployed processes: each start status, the
    `statut` and `statutPrisEnCharge` of their elements (tasks, events, end events), then the
    error label. Read from each process's latest version and from every version still holding
    a dossier; in the diagrams' order, without repeats."""
    other = aliased(ProcessVersion)
    latest = (
        select(func.max(other.version)).where(other.key == ProcessVersion.key).scalar_subquery()
    )
    holding = exists().where(Instance.process_version_id == ProcessVersion.id)
    versions = session.scalars(
        select(ProcessVersion.id)
        .where((ProcessVersion.version == latest) | holding)
        .order_by(ProcessVersion.key, ProcessVersion.version.desc())
    ).all()
    labels: dict[str, None] = {}
    for version_id in versions:
        definition = definition_for(session, version_id)
        labels[definition.start_status] = None
        for task_spec in spiff.all_task_specs(definition.parsed):
            properties = spiff.task_properties(task_spec)
            for name in ("statut", "statutPrisEnCharge"):
                if properties.get(name):
                    labels[properties[name]] = None
    labels[ERROR_LABEL] = None
    return list(labels)


def _properties(definition: ProcessDefinition, item: WorkItem) -> dict[str, str]:
    task_spec = definition.task_spec(item.task_spec)
    return spiff.task_properties(task_spec) if task_spec is not None else {}


def _age(item: WorkItem) -> tuple[Any, int]:
    # Rows not yet flushed (opened by this action) have no id: after those of the same moment.
    return (item.created_at, item.id if item.id is not None else sys.maxsize)
