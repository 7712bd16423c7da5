"""The composition root: which function handles each kind of job.

The job queue and the worker (`engine.jobs`) know no domain; the domains' handlers are put
together here, above them all, and given to every worker.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.emails import mailer
from engine.jobs import JobKind, audit_job
from engine.jobs.api import Handler
from engine.jobs.worker import Worker, WorkerSettings
from engine.pdf import generation
from engine.register import life
from engine.webhooks import delivery as webhook_delivery
from engine.workflow import retention
from engine.workflow.experts import deadlines as expert_deadlines
from engine.workflow.timer_job import fire_timer_job
from engine.workflow.worklists.export_job import export_job


def job_handlers() -> dict[str, Handler]:
    return {
        JobKind.TIMER: fire_timer_job,
        JobKind.PUBLICATION: life.publish_job,
        JobKind.EMAIL: mailer.deliver,
        JobKind.FIN_VALIDITE: life.fin_validite_job,
        JobKind.RETRAIT: life.retrait_job,
        JobKind.DOCUMENT: generation.document_job,
        JobKind.AVIS_EXPERT_RAPPEL: expert_deadlines.reminder_job,
        JobKind.AVIS_EXPERT_ECHEANCE: expert_deadlines.expiry_job,
        JobKind.EXPORT: export_job,
        JobKind.AUDIT_CHAINAGE: audit_job.link_and_seal_job,
        JobKind.RETENTION: retention.sweep_job,
        JobKind.RETENTION_BROUILLON: retention.delete_draft_job,
        JobKind.RETENTION_ANONYMISATION: retention.anonymise_job,
        JobKind.WEBHOOK: webhook_delivery.deliver_job,
    }


def make_worker(
    sessions: sessionmaker[Session],
    settings: WorkerSettings | None = None,
    name: str | None = None,
) -> Worker:
    """A worker that runs every kind of job the engine schedules."""
    worker = Worker(sessions, job_handlers(), settings or WorkerSettings())
    if name:
        worker.name = name
    return worker
