"""Time for tests: move the clock to a timer's due time and let the worker run what is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.core.models import Job, JobStatus
from engine.jobs import JobKind
from engine.wiring import make_worker


def as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored in UTC); PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_time(sessions: sessionmaker[Session], instance_id: int | None, element: str) -> datetime:
    """When the pending timer `element` of a dossier falls due (fails when none is pending)."""
    with sessions() as session:
        due = [
            as_utc(job.run_at)
            for job in session.scalars(
                select(Job).where(
                    Job.instance_id == instance_id,
                    Job.kind == str(JobKind.TIMER),
                    Job.status == JobStatus.PENDING,
                )
            )
            if (job.payload or {}).get("element") == element
        ]
    assert due, f"no pending timer {element} in dossier {instance_id}"
    return due[0]


def run_worker_at(sessions: sessionmaker[Session], moment: datetime) -> int:
    """The clock reads `moment`; one worker runs every job due by then."""
    with freeze_time(moment):
        return make_worker(sessions).run_until_idle()


def pass_time_until(sessions: sessionmaker[Session], instance_id: int | None, element: str) -> None:
    """Time passes until the timer `element` fires (a second after its due time)."""
    run_worker_at(sessions, due_time(sessions, instance_id, element) + timedelta(seconds=1))


def has_pending_timer(
    sessions: sessionmaker[Session], instance_id: int | None, element: str
) -> bool:
    try:
        due_time(sessions, instance_id, element)
    except AssertionError:
        return False
    return True
