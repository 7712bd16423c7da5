"""Jobs: due timers and side effects, written in the transaction of the change that causes them.

A job row is the promise that something will happen after the commit (a timer fires, an email
goes out, an entry is published). Each has an idempotency key: enqueuing the same promise twice
(a retried request, a re-run job) leaves one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import dialect
from engine.core.clock import utcnow
from engine.core.models import Job, JobStatus


class JobKind(StrEnum):
    """What a job does: mechanisms in English, the register's events in French
    (docs/glossary.md); each member is named like its value."""

    TIMER = "timer"
    EMAIL = "email"
    PUBLICATION = "publication"
    FIN_VALIDITE = "fin_validite"
    RETRAIT = "retrait"
    DOCUMENT = "document"
    AVIS_EXPERT_RAPPEL = "avis_expert_rappel"
    AVIS_EXPERT_ECHEANCE = "avis_expert_echeance"
    EXPORT = "export"
    AUDIT_CHAINAGE = "audit_chainage"
    RETENTION = "retention"
    RETENTION_BROUILLON = "retention_brouillon"
    RETENTION_ANONYMISATION = "retention_anonymisation"
    WEBHOOK = "webhook"


JOB_KIND_LABELS = {
    JobKind.TIMER: "Minuterie",
    JobKind.EMAIL: "Courriel",
    JobKind.PUBLICATION: "Publication",
    JobKind.FIN_VALIDITE: "Fin de validité",
    JobKind.RETRAIT: "Retrait",
    JobKind.DOCUMENT: "Document PDF",
    JobKind.AVIS_EXPERT_RAPPEL: "Rappel à un expert",
    JobKind.AVIS_EXPERT_ECHEANCE: "Échéance d'un avis d'expert",
    JobKind.EXPORT: "Export de dossiers",
    JobKind.AUDIT_CHAINAGE: "Chaînage et sceau du journal d'audit",
    JobKind.RETENTION: "Durées de conservation",
    JobKind.RETENTION_BROUILLON: "Suppression d'un brouillon abandonné",
    JobKind.RETENTION_ANONYMISATION: "Anonymisation d'un dossier clos",
    JobKind.WEBHOOK: "Livraison d'un webhook",
}


@dataclass(frozen=True)
class NewJob:
    kind: JobKind
    key: str
    label: str
    instance_id: int | None
    payload: dict[str, Any]
    run_at: datetime | None = None


def enqueue(session: Session, jobs: list[NewJob]) -> None:
    """Insert the jobs in one statement; a key already present is left as it is."""
    if not jobs:
        return
    now = utcnow()
    rows = [
        {
            "kind": str(job.kind),
            "idempotency_key": job.key,
            "label": job.label[:300],
            "instance_id": job.instance_id,
            "payload": job.payload,
            "run_at": job.run_at or now,
            "attempts": 0,
            "status": JobStatus.PENDING,
            "created_at": now,
        }
        for job in jobs
    ]
    dialect.insert_or_ignore(session, Job, rows, key=[Job.idempotency_key])


def pending_for(session: Session, instance_id: int, kind: JobKind) -> list[Job]:
    return list(
        session.scalars(
            select(Job).where(
                Job.instance_id == instance_id,
                Job.status == JobStatus.PENDING,
                Job.kind == str(kind),
            )
        )
    )


def cancel(job: Job, reason: str) -> None:
    job.status = JobStatus.CANCELLED
    job.finished_at = utcnow()
    job.last_error = None
    job.label = f"{job.label} — {reason}"[:300]


def jobs_of(session: Session, instance_id: int) -> list[Job]:
    """A dossier's jobs for the admin view: the upcoming first, then the most recent."""
    return list(
        session.scalars(
            select(Job).where(Job.instance_id == instance_id).order_by(Job.run_at.desc(), Job.id)
        )
    )
