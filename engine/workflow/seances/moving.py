"""A séance's date drives the waits of the dossiers on its ordre du jour: when it moves (or its
dossiers go to another séance), each waiting dossier's timer takes the new date (its own timer
expression, computed again) and the timer's job its new due time, in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import jobs
from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import Actor
from engine.core.models import Inscription, Instance, InstanceStatus, Job, JobStatus, Seance
from engine.core.typography import moment_filter
from engine.definitions.definition import definition_for
from engine.emails import notifications
from engine.workflow.conflicts import flush_or_conflict
from engine.workflow.followups import timer_key
from engine.workflow.seances.common import paris_values, seance_name
from engine.workflow.state import load_workflow, save_state

MOVED_EMAILS = ["seance_deplacee", "seance_deplacee_rapporteur"]


def waiting_dossiers(session: Session, seance: Seance) -> list[Instance]:
    """The running dossiers on the séance's agenda whose timer still waits for it."""
    rows = session.scalars(
        select(Instance)
        .join(Inscription, Inscription.instance_id == Instance.id)
        .where(Inscription.seance_id == seance.id, Instance.status == InstanceStatus.RUNNING)
        .order_by(Inscription.position, Inscription.id)
    ).all()
    found = []
    for instance in rows:
        definition = definition_for(session, instance.process_version_id)
        workflow = load_workflow(session, instance, definition)
        if any("date_seance" in timer_reads for timer_reads in _waiting_reads(workflow)):
            found.append(instance)
    return found


def _waiting_reads(workflow: Any) -> list[str]:
    """The expressions of the waiting date timers (what their due time is computed from)."""
    reads = []
    for timer in spiff.waiting_timers(workflow):
        task = spiff.find_task(workflow, timer.task_id)
        definition = getattr(getattr(task, "task_spec", None), "event_definition", None)
        reads.append(str(getattr(definition, "expression", "")))
    return reads


def move_waits(
    session: Session,
    actor: Actor,
    target: Seance,
    dossiers: list[Instance],
    *,
    from_seance: Seance | None = None,
) -> int:
    """Each dossier's wait follows `target`'s date; with `from_seance`, the dossiers also leave
    that séance's agenda for the end of `target`'s. Returns how many waits moved."""
    changes = paris_values(target.debut) | {"seance_id": target.id}
    moved = 0
    position = session.scalar(
        select(func.max(Inscription.position)).where(Inscription.seance_id == target.id)
    )
    for instance in dossiers:
        definition = definition_for(session, instance.process_version_id)
        workflow = load_workflow(session, instance, definition)
        before = spiff.current_data(workflow).get("date_seance")
        timers = spiff.retime_timers(workflow, changes)
        if not timers:
            continue
        save_state(session, instance, workflow, flush=False)
        flush_or_conflict(session, instance_id=instance.id)
        for timer in timers:
            session.execute(
                update(Job)
                .where(
                    Job.idempotency_key == timer_key(timer.task_id),
                    Job.status == JobStatus.PENDING,
                )
                .values(run_at=timer.due)
                .execution_options(synchronize_session=False)
            )
        if from_seance is not None:
            inscription = session.scalar(
                select(Inscription).where(
                    Inscription.seance_id == from_seance.id,
                    Inscription.instance_id == instance.id,
                )
            )
            if inscription is not None:
                position = (position or 0) + 1
                inscription.seance_id, inscription.position = target.id, position
        audit.record(
            session,
            instance.id,
            actor,
            "seance_deplacee",
            f"Attente de la {seance_name(target)} («\u00a0Délibérer\u00a0» s'ouvrira le "
            f"{_day(timers[0].due)}).",
            details={"seance_id": target.id, **changes},
        )
        if before != changes["date_seance"]:
            # The submitter and the rapporteur had the date by email: they get the new one.
            jobs.enqueue(
                session,
                notifications.for_event(
                    session,
                    instance,
                    workflow,
                    MOVED_EMAILS,
                    spiff.current_data(workflow),
                    f"seance:{target.id}:{changes['date_seance']}",
                ),
            )
        moved += 1
    session.flush()
    return moved


def _day(moment: object) -> str:
    return moment_filter(moment)
