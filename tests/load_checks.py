"""What must hold after a load, whatever made it (tests/integration/test_mixed_load.py, the
bench's load test bench/load.py): each problem named in a sentence, none when all is well.

- every dossier consistent (engine/workflow/consistency.py: its work items are its workflow's
  ready tasks, each filed form has its audit event, a reference exactly when filed);
- the audit trail verifies (`inventaire audit verify`: chains and seals recomputed);
- no job lost: none left due and not done (a timer waits for its day: pending, not due; one
  whose task is gone was cancelled);
- no email lost nor doubled: each email job made exactly one email.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.audit_verify import verify
from engine.core.clock import utcnow
from engine.core.models import AuditEvent, Email, Instance, Job, JobStatus
from engine.jobs import JobKind
from engine.workflow.consistency import check_all, check_dossier


def count(session: Session, model: Any, *conditions: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def inconsistencies(session: Session, instance_ids: Iterable[int] | None = None) -> list[str]:
    """The disagreements of every dossier (or of those of `instance_ids`)."""
    if instance_ids is None:
        return [problem.sentence() for problem in check_all(session)]
    found: list[str] = []
    for instance_id in sorted(set(instance_ids)):
        instance = session.get(Instance, instance_id)
        if instance is not None:
            found.extend(problem.sentence() for problem in check_dossier(session, instance))
    return found


def touched_since(session: Session, moment: datetime) -> set[int]:
    """The dossiers changed since `moment`: every change records its audit event."""
    events = session.scalars(
        select(AuditEvent.instance_id)
        .where(AuditEvent.at >= moment, AuditEvent.instance_id.is_not(None))
        .distinct()
    )
    changed = session.scalars(select(Instance.id).where(Instance.updated_at >= moment))
    return {found for found in events if found is not None} | set(changed)


def audit_breaks(session: Session, key: str) -> list[str]:
    report = verify(session, key)
    return [found.sentence() for found in report.breaks]


def jobs_left(session: Session) -> list[str]:
    """The jobs due and not done: lost (or still running)."""
    left = session.scalars(
        select(Job).where(
            Job.status.not_in((JobStatus.DONE, JobStatus.CANCELLED)),
            (Job.status != JobStatus.PENDING) | (Job.run_at <= utcnow()),
        )
    ).all()
    return [f"job n° {job.id} ({job.kind}) {job.status}: {job.last_error or ''}" for job in left]


def emails_against_jobs(session: Session) -> list[str]:
    """Each email job made one email: as many emails as email jobs."""
    jobs = count(session, Job, Job.kind == str(JobKind.EMAIL))
    emails = count(session, Email)
    if emails == jobs:
        return []
    what = "lost" if emails < jobs else "doubled"
    return [f"{jobs} email jobs but {emails} emails ({what})"]


def after_load(session: Session, key: str, instance_ids: Iterable[int] | None = None) -> list[str]:
    """Every problem: inconsistent dossiers, audit breaks, jobs and emails lost or doubled."""
    return (
        inconsistencies(session, instance_ids)
        + audit_breaks(session, key)
        + jobs_left(session)
        + emails_against_jobs(session)
    )
