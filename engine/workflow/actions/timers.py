"""A waiting timer falls due: its job fires it and runs the process on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import SYSTEM
from engine.core.models import Instance, InstanceStatus
from engine.definitions.definition import definition_for
from engine.workflow import followups
from engine.workflow.conflicts import flush_or_conflict
from engine.workflow.lookup import with_open_items
from engine.workflow.state import load_workflow, refresh_projection, save_state


def fire_timer(session: Session, instance_id: int, task_id: str, *, by_its_job: bool = True) -> str:
    """A timer's job is due: fire it and run the process on (the worker's transaction).
    `by_its_job=False`: fired otherwise (a scenario letting time pass): its job, still
    pending, is cancelled like those of the timers the process leaves behind."""
    instance = session.get(Instance, instance_id, options=[with_open_items])
    if instance is None:
        return "Dossier introuvable\u00a0: échéance sans objet."
    if instance.status != InstanceStatus.RUNNING:
        return f"Dossier {instance.status_label.lower()}\u00a0: échéance sans objet."
    definition = definition_for(session, instance.process_version_id)
    workflow = load_workflow(session, instance, definition)
    timer = spiff.find_task(workflow, task_id)
    if timer is None or not spiff.timer_pending(workflow, task_id):
        return "La tâche a avancé avant l'échéance\u00a0: rien à faire."
    title = spiff.spec_title(timer)
    # The fired timer counts as "before" (no new job for it); when its own job is the one
    # running, there is nothing to cancel for it.
    timers_before = {waiting.task_id for waiting in spiff.waiting_timers(workflow)} | {task_id}
    spiff.fire_timer(workflow, task_id)
    completed: list[Any] = []
    spiff.run_engine(workflow, completed)
    save_state(session, instance, workflow, flush=False, completed=completed)
    with session.no_autoflush:
        items = refresh_projection(session, instance, definition, workflow, actor=SYSTEM)
    new_items = [row for row in items if row.id is None]
    audit.record(
        session,
        instance.id,
        SYSTEM,
        "echeance",
        f"Échéance atteinte\u00a0: «\u00a0{title}\u00a0».",
        task_spec=spiff.spec_id(timer),
    )
    if instance.status == InstanceStatus.COMPLETED:
        audit.record(
            session, instance.id, SYSTEM, "fin", f"Dossier clos\u00a0: {instance.status_label}."
        )
    flush_or_conflict(session, instance_id=instance.id)
    followups.after_change(
        session,
        instance,
        workflow,
        SYSTEM,
        completed=completed,
        new_items=new_items,
        timers_before=timers_before,
        fired=task_id if by_its_job else None,
    )
    return f"Échéance «\u00a0{title}\u00a0»\u00a0: statut du dossier {instance.status_label}."
