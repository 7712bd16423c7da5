"""The jobs the procedure itself schedules: a timer falling due, a publication."""

from __future__ import annotations

from engine import audit, jobs, notifications, register_life, runtime
from engine.actor import SYSTEM
from engine.jobs import JobKind
from engine.models import Instance
from engine.publication import publish
from engine.worker_api import JobRun, handles


@handles(JobKind.TIMER)
def fire_timer(run: JobRun) -> str:
    payload = run.job.payload or {}
    if run.job.instance_id is None:
        return "Aucun dossier : rien à faire."
    return runtime.fire_timer(run.session, run.job.instance_id, str(payload.get("task_id", "")))


@handles(JobKind.PUBLICATION)
def publish_entry(run: JobRun) -> str:
    session = run.session
    instance = session.get(Instance, run.job.instance_id) if run.job.instance_id else None
    if instance is None:
        return "Dossier introuvable : rien à publier."
    entry = publish(session, instance, dict(run.job.payload or {}))
    audit.record(
        session,
        instance.id,
        SYSTEM,
        "publication",
        f"Certification publiée à l'Inventaire sous le numéro {entry.numero}.",
    )
    register_life.schedule_expiry(session, entry)
    if entry.start_at is not None:
        jobs.enqueue(
            session,
            notifications.for_publication(
                session, instance, entry.numero, entry.start_at, entry.end_at
            ),
        )
    return f"Publiée sous le numéro {entry.numero}."
