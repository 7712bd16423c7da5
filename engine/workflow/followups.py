"""What a state change promises for later: timer jobs in step with the workflow, the documents
the elements produce, and emails.

Called by every action that stores a new workflow state, in its transaction: the jobs are
written with the change that causes them, or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from engine import jobs
from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.models import Instance, Job, JobStatus, WorkItem
from engine.emails import notifications
from engine.jobs import JobKind, NewJob
from engine.pdf import generation
from engine.webhooks import outbox

CANCELLED_REASON = "sans objet\u00a0: le dossier a avancé avant l'échéance"


def after_change(
    session: Session,
    instance: Instance,
    workflow: Any,
    actor: Actor,
    *,
    completed: list[Any] | None = None,
    new_items: list[WorkItem] | None = None,
    timers_before: set[str] | None = None,
    fired: str | None = None,
) -> None:
    """`timers_before`: the ids of the timers waiting before the action, when the caller knows
    them (then no query is needed to find the jobs to cancel); `fired`: the timer whose job
    runs this action (its job is not pending, so there is nothing to cancel for it)."""
    # Called once the caller's flush has written the new state under its version check: a
    # lost race is the caller's Conflict before any job row is written or locked (two
    # completions of one task enqueue the same keys; the second would wait on the first's).
    with session.no_autoflush:
        if timers_before is None:
            planned = schedule_timers(session, instance, workflow)
        else:
            planned = _timers_changed(session, instance, workflow, timers_before, fired)
        if completed:
            # The documents the elements produce, announced by the emails of the same action.
            documents, labels = generation.for_completed_tasks(
                session, instance, workflow, completed
            )
            planned += documents
            planned += notifications.for_completed_tasks(
                session, instance, workflow, completed, labels
            )
        if new_items:
            planned += notifications.for_new_items(session, instance, workflow, new_items, actor)
            # The webhooks' deliveries of the tasks that now wait (an outbox, like the jobs).
            outbox.tasks_opened(session, instance, new_items)
        jobs.enqueue(session, planned)


def _timers_changed(
    session: Session, instance: Instance, workflow: Any, before: set[str], fired: str | None
) -> list[NewJob]:
    """Jobs for the timers that appeared; the jobs of those gone are cancelled by key."""
    waiting = {timer.task_id: timer for timer in spiff.waiting_timers(workflow)}
    gone = [
        task_id
        for task_id in before - set(waiting) - {fired}
        if not spiff.timer_pending(workflow, task_id)  # due and not yet run: its job runs it
    ]
    if gone:
        session.execute(
            update(Job)
            .where(
                Job.idempotency_key.in_([timer_key(task_id) for task_id in gone]),
                Job.status == JobStatus.PENDING,
            )
            .values(
                status=JobStatus.CANCELLED,
                finished_at=utcnow(),
                label=func.substr(Job.label + f" — {CANCELLED_REASON}", 1, 300),
            )
            .execution_options(synchronize_session=False)
        )
    return [
        _timer_job(instance, timer) for task_id, timer in waiting.items() if task_id not in before
    ]


def timer_key(task_id: str) -> str:
    return f"minuterie:{task_id}"


def _timer_job(instance: Instance, timer: spiff.WaitingTimer) -> NewJob:
    reference = instance.reference or f"dossier {instance.id}"
    return NewJob(
        kind=JobKind.TIMER,
        key=timer_key(timer.task_id),
        label=f"Échéance «\u00a0{timer.title}\u00a0» ({reference})",
        instance_id=instance.id,
        payload={"task_id": timer.task_id, "element": timer.spec_id},
        run_at=timer.due,
    )


def schedule_timers(session: Session, instance: Instance, workflow: Any) -> list[NewJob]:
    """One pending job per waiting timer; the jobs of timers gone are cancelled."""
    waiting = {timer.task_id: timer for timer in spiff.waiting_timers(workflow)}
    scheduled: set[str] = set()
    for job in jobs.pending_for(session, instance.id, JobKind.TIMER):
        task_id = str((job.payload or {}).get("task_id", ""))
        if task_id in waiting or spiff.timer_pending(workflow, task_id):
            scheduled.add(task_id)
        else:
            jobs.cancel(job, CANCELLED_REASON)
    return [
        _timer_job(instance, timer)
        for task_id, timer in waiting.items()
        if task_id not in scheduled
    ]
