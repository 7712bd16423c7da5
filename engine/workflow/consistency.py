"""Whether each dossier's stored rows agree with each other: its open work items are exactly its
workflow's ready human tasks, a closed dossier has none left and its workflow is finished, each
filed form has its audit event, a reference exactly when the dépôt was recorded.

What a load or a crash could leave half-written if a state change ever escaped its single
transaction; the mixed-load test (tests/integration/test_mixed_load.py) and the bench's load
test (bench/load.py) run it after the load (tests/load_checks.py), beside `inventaire audit
verify` (engine/core/audit_verify.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.models import (
    AuditEvent,
    Instance,
    InstanceStatus,
    Submission,
    WorkItem,
    WorkItemStatus,
)
from engine.definitions.definition import definition_for
from engine.workflow.state import load_workflow

FORM_EVENTS = ("depot", "tache")


@dataclass(frozen=True)
class Inconsistency:
    instance_id: int
    what: str

    def sentence(self) -> str:
        return f"dossier n° {self.instance_id}\u00a0: {self.what}"


def check_dossier(session: Session, instance: Instance) -> list[Inconsistency]:
    """The disagreements between the dossier's workflow state, work items and audit trail."""
    found: list[str] = []
    definition = definition_for(session, instance.process_version_id)
    workflow = load_workflow(session, instance, definition)
    ready = {spiff.task_id_of(task) for task in spiff.ready_human_tasks(workflow)}
    open_items = set(
        session.scalars(
            select(WorkItem.task_id).where(
                WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
            )
        )
    )
    if open_items - ready:
        found.append(f"work items open for tasks no longer ready: {sorted(open_items - ready)}")
    if ready - open_items:
        found.append(f"ready tasks with no open work item: {sorted(ready - open_items)}")
    finished = spiff.is_completed(workflow)
    if (instance.status == InstanceStatus.COMPLETED) != finished:
        found.append(f"status {instance.status} but the workflow finished: {finished}")
    submissions = _count(session, Submission, Submission.instance_id == instance.id)
    events = _count(
        session,
        AuditEvent,
        AuditEvent.instance_id == instance.id,
        AuditEvent.kind.in_(FORM_EVENTS),
    )
    if submissions != events:
        found.append(f"{submissions} forms filed but {events} audit events of filing")
    depots = _count(
        session, AuditEvent, AuditEvent.instance_id == instance.id, AuditEvent.kind == "depot"
    )
    if (instance.reference is not None) != (depots == 1):
        found.append(f"reference {instance.reference!r} with {depots} dépôt events")
    return [Inconsistency(instance.id, what) for what in found]


def check_all(session: Session) -> list[Inconsistency]:
    """Every dossier's disagreements (an empty list: all consistent)."""
    found: list[Inconsistency] = []
    for instance in session.scalars(select(Instance).order_by(Instance.id)):
        found.extend(check_dossier(session, instance))
    return found


def _count(session: Session, model: object, *conditions: object) -> int:
    query = select(func.count()).select_from(model).where(*conditions)  # type: ignore[arg-type]
    return session.scalar(query) or 0
