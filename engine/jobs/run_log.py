"""The worker's log lines: one per job run (id, kind, outcome, duration), one per incident.

Outcomes: `done`; `retry` (failed, pending again after its backoff); `incident` (failed after
its last attempt: the admin pages list it); `lost` (failed, and another worker holds it now).
"""

from __future__ import annotations

import logging
from time import perf_counter

from engine.core.errors import InventaireError
from engine.core.models import Job, JobStatus

log = logging.getLogger("inventaire.worker")


def _milliseconds(started: float) -> float:
    return round((perf_counter() - started) * 1000, 1)


def done(job_id: int, kind: str, attempt: int, started: float) -> None:
    duration = _milliseconds(started)
    log.info(
        "Job %s (%s) done in %.1f ms",
        job_id,
        kind,
        duration,
        extra={
            "job_id": job_id,
            "kind": kind,
            "outcome": "done",
            "attempt": attempt,
            "duration_ms": duration,
        },
    )


def failed(job_id: int, job: Job | None, message: str, error: Exception, started: float) -> None:
    """`job` as the failure left it (None: another worker took it meanwhile)."""
    duration = _milliseconds(started)
    fields: dict[str, object] = {"job_id": job_id, "duration_ms": duration, "error": message}
    if job is None:
        log.warning(
            "Job %s failed in %.1f ms, now held by another worker: %s",
            job_id,
            duration,
            message,
            extra={**fields, "outcome": "lost"},
        )
        return
    fields.update(kind=job.kind, attempt=job.attempts, dossier_id=job.instance_id)
    if job.status != JobStatus.FAILED:
        log.warning(
            "Job %s (%s) failed in %.1f ms, attempt %s, retried at %s: %s",
            job_id,
            job.kind,
            duration,
            job.attempts,
            job.run_at.isoformat(timespec="seconds"),
            message,
            extra={**fields, "outcome": "retry", "retry_at": job.run_at.isoformat()},
        )
        return
    log.warning(
        "Job %s (%s) failed in %.1f ms, attempt %s, the last: %s",
        job_id,
        job.kind,
        duration,
        job.attempts,
        message,
        extra={**fields, "outcome": "incident"},
    )
    # A bug's traceback helps; an expected refusal (a French message) says it all.
    trace = None if isinstance(error, InventaireError) else error
    dossier = f" of dossier {job.instance_id}" if job.instance_id is not None else ""
    log.error(
        "Incident: job %s (%s)%s failed after %s attempt(s): %s",
        job_id,
        job.kind,
        dossier,
        job.attempts,
        message,
        exc_info=trace,
        extra={
            "incident": "job",
            "job_id": job_id,
            "kind": job.kind,
            "dossier_id": job.instance_id,
            "attempts": job.attempts,
            "error": message,
        },
    )
