"""What a state change promises for later: timer jobs in step with the workflow, and emails.

Called by every action that stores a new workflow state, in its transaction: the jobs are
written with the change that causes them, or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import jobs, notifications, spiff
from engine.actor import Actor
from engine.jobs import JobKind, NewJob
from engine.models import Instance, WorkItem


def after_change(
    session: Session,
    instance: Instance,
    workflow: Any,
    actor: Actor,
    *,
    completed: list[Any] | None = None,
    new_items: list[WorkItem] | None = None,
) -> None:
    # No flush on the way: the caller's final flush writes the new state under its version
    # check, so a lost race is the caller's Conflict, not an error from a query here.
    with session.no_autoflush:
        planned = schedule_timers(session, instance, workflow)
        if completed:
            planned += notifications.for_completed_tasks(session, instance, workflow, completed)
        if new_items:
            planned += notifications.for_new_items(session, instance, workflow, new_items, actor)
        jobs.enqueue(session, planned)


def schedule_timers(session: Session, instance: Instance, workflow: Any) -> list[NewJob]:
    """One pending job per waiting timer; the jobs of timers gone are cancelled."""
    waiting = {timer.task_id: timer for timer in spiff.waiting_timers(workflow)}
    scheduled: set[str] = set()
    for job in jobs.pending_for(session, instance.id, JobKind.TIMER):
        task_id = str((job.payload or {}).get("task_id", ""))
        if task_id in waiting or spiff.timer_pending(workflow, task_id):
            scheduled.add(task_id)
        else:
            jobs.cancel(job, "sans objet : le dossier a avancé avant l'échéance")
    reference = instance.reference or f"dossier {instance.id}"
    return [
        NewJob(
            kind=JobKind.TIMER,
            key=f"minuterie:{task_id}",
            label=f"Échéance « {timer.title} » ({reference})",
            instance_id=instance.id,
            payload={"task_id": task_id, "element": timer.spec_id},
            run_at=timer.due,
        )
        for task_id, timer in waiting.items()
        if task_id not in scheduled
    ]
