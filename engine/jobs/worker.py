"""The worker: claims due jobs, runs each in its own transaction, retries, raises incidents.

Claiming marks a batch of due jobs `running` under this worker's lease (PostgreSQL: `FOR UPDATE
SKIP LOCKED`, so several workers never claim the same row). Running a job locks its row again
for the length of its transaction: while this worker lives, nobody else can take it, even past
the lease. A worker that dies loses its connection, hence its locks and its uncommitted work;
once its lease lapses another worker claims the job and runs it from the start. The job's
effect (a state change, an email row) is written in the job's transaction, so it happens once.

Only due rows are read (index on status, run_at): never a scan of the instances.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from time import perf_counter

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.core import audit, dialect
from engine.core.actor import SYSTEM, Actor
from engine.core.clock import utcnow
from engine.core.errors import Conflict, InventaireError, NotFound, PermanentFailure
from engine.core.models import Job, JobStatus, as_id
from engine.core.settings import WorkerSettings
from engine.jobs import run_log
from engine.jobs.api import Handler, JobRun

log = logging.getLogger("inventaire.worker")


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


@dataclass
class Worker:
    sessions: sessionmaker[Session]
    # The function of each kind of job (engine.wiring puts them together).
    handlers: Mapping[str, Handler]
    settings: WorkerSettings = field(default_factory=WorkerSettings)
    name: str = field(default_factory=default_name)

    # --- the loop -----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Run due jobs until `stop` is set; sleep `poll_interval` when there is nothing."""
        log.info("Worker %s started", self.name)
        while not stop.is_set():
            try:
                count = self.run_once(stop)
            except Exception:  # the database went away: wait and try again
                log.exception("Worker %s could not claim jobs", self.name)
                count = 0
            if count < self.settings.batch_size:
                stop.wait(self.settings.poll_interval)
        log.info("Worker %s stopped", self.name)

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim one batch and run it; the number of jobs claimed."""
        claimed = self.claim()
        for index, job_id in enumerate(claimed):
            if stop is not None and stop.is_set():
                self._release(claimed[index:])
                break
            self.execute(job_id)
        return len(claimed)

    def run_until_idle(self, limit: int = 1_000_000) -> int:
        """Run every due job (those that become due meanwhile too); the number run."""
        total = 0
        while total < limit:
            count = self.run_once()
            if count == 0:
                return total
            total += count
        return total

    # --- claiming -----------------------------------------------------------------------------

    def claim(self) -> list[int]:
        now = utcnow()
        with self.sessions() as session:
            dialect.begin_writing(session)
            due = (
                select(Job.id)
                .where(
                    or_(
                        and_(Job.status == JobStatus.PENDING, Job.run_at <= now),
                        and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now),
                    )
                )
                .order_by(Job.run_at, Job.id)
                .limit(self.settings.batch_size)
            )
            due = dialect.skip_locked(due, session)
            ids = list(
                session.scalars(
                    update(Job)
                    .where(Job.id.in_(due.scalar_subquery()))
                    .values(
                        status=JobStatus.RUNNING,
                        lease_owner=self.name,
                        lease_expires_at=now + self.settings.lease,
                        attempts=Job.attempts + 1,
                    )
                    .returning(Job.id)
                    .execution_options(synchronize_session=False)
                )
            )
            session.commit()
        return sorted(ids)

    def _release(self, ids: list[int]) -> None:
        """Stopping: give back the claimed jobs not started, as if never claimed."""
        with self.sessions() as session:
            dialect.begin_writing(session)
            session.execute(
                update(Job)
                .where(Job.id.in_(ids), Job.lease_owner == self.name)
                .values(
                    status=JobStatus.PENDING,
                    lease_owner=None,
                    lease_expires_at=None,
                    attempts=Job.attempts - 1,
                )
                .execution_options(synchronize_session=False)
            )
            session.commit()

    # --- running one job ----------------------------------------------------------------------

    def execute(self, job_id: int) -> None:
        started = perf_counter()
        session = self.sessions()
        try:
            dialect.begin_writing(session)
            job = session.scalar(
                select(Job)
                .where(
                    Job.id == job_id,
                    Job.status == JobStatus.RUNNING,
                    Job.lease_owner == self.name,
                )
                .with_for_update()
            )
            if job is None:  # our lease lapsed and another worker took it
                session.rollback()
                log.warning("Job %s skipped: its lease lapsed, another worker took it", job_id)
                return
            handler = self.handlers.get(job.kind)
            if handler is None:
                raise NotFound(f"Aucun traitement connu pour les travaux «\u00a0{job.kind}\u00a0».")
            result = handler(JobRun(session, job, self.settings.smtp))
            job.status = JobStatus.DONE
            job.finished_at = utcnow()
            # lease_owner stays: which worker ran it (the admin pages show it).
            job.lease_expires_at = None
            job.last_error = None
            if result:
                job.payload = {**(job.payload or {}), "resultat": result[:500]}
            session.commit()
            run_log.done(job_id, job.kind, job.attempts, started)
        except Exception as error:
            session.rollback()
            after = self._record_failure(job_id, error)
            run_log.failed(job_id, after, error_message(error), error, started)
        finally:
            session.close()

    def _record_failure(self, job_id: int, error: Exception) -> Job | None:
        """The job as the failure leaves it; None when another worker holds it now."""
        with self.sessions() as session:
            dialect.begin_writing(session)
            job = session.scalar(select(Job).where(Job.id == job_id).with_for_update())
            if job is None or job.lease_owner != self.name:
                return None
            message = error_message(error)
            now = utcnow()
            job.last_error = message
            job.lease_owner = None
            job.lease_expires_at = None
            permanent = isinstance(error, PermanentFailure)
            if job.attempts >= self.settings.max_attempts or permanent:
                job.status = JobStatus.FAILED
                job.finished_at = now
                # A failure that trying again cannot mend is an incident at its first attempt.
                how = "échec" if permanent else f"échec après {job.attempts} tentatives"
                audit.record(
                    session,
                    job.instance_id,
                    SYSTEM,
                    "incident",
                    f"{job.label}\u00a0: {how} — {message}",
                )
            else:
                job.status = JobStatus.PENDING
                job.run_at = now + self.backoff(job.attempts)
            session.commit()
        return job

    def backoff(self, attempts: int) -> timedelta:
        delay = self.settings.backoff * (2 ** max(attempts - 1, 0))
        return min(delay, self.settings.max_backoff)


def error_message(error: Exception) -> str:
    if isinstance(error, InventaireError):
        return error.user_message
    return f"{type(error).__name__}\u00a0: {error}"[:2000]


def may_retry(status: str) -> bool:
    """Only an incident is relaunched: a pending job (a waiting timer) must not run early."""
    return status == JobStatus.FAILED


def retry(session: Session, actor: Actor, job_id: object) -> Job:
    """*Relancer*: an incident runs again as soon as a worker is free."""
    key = as_id(job_id)
    job = session.get(Job, key) if key is not None else None
    if job is None:
        raise NotFound("Travail introuvable.")
    if not may_retry(job.status):
        raise Conflict("Seul un travail en échec (un incident) peut être relancé.")
    job.status = JobStatus.PENDING
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    audit.record(session, job.instance_id, actor, "relance", f"{job.label}\u00a0: relancé.")
    session.flush()
    return job
