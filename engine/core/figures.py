"""The figures an operator watches (the /metrics page reads them at each scrape): jobs by status,
the age of the oldest due job, dossiers by status.

Three grouped counts: the job ones read the (status, run_at) index only, the dossier one
reads the instance table (a few milliseconds per hundred thousand dossiers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, select

from engine.core.models import Instance, Job, JobStatus


@dataclass(frozen=True)
class Figures:
    # Every job status, 0 when none.
    jobs: dict[str, int]
    # Seconds since the oldest pending job fell due; 0 when none is due.
    oldest_due_job_age: float
    # (technical status, the French label users read) → number of dossiers.
    dossiers: dict[tuple[str, str], int]


def read(connection: Connection, now: datetime) -> Figures:
    jobs = {status.value: 0 for status in JobStatus}
    for status, count in connection.execute(select(Job.status, func.count()).group_by(Job.status)):
        jobs[status] = count
    oldest = connection.scalar(
        select(func.min(Job.run_at)).where(and_(Job.status == JobStatus.PENDING, Job.run_at <= now))
    )
    dossiers = {
        (status, label): count
        for status, label, count in connection.execute(
            select(Instance.status, Instance.status_label, func.count()).group_by(
                Instance.status, Instance.status_label
            )
        )
    }
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return Figures(jobs=jobs, oldest_due_job_age=age, dossiers=dossiers)
