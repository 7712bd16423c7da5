"""The job of a waiting timer: when it falls due, the worker fires it."""

from __future__ import annotations

from engine.jobs.api import JobRun
from engine.workflow.actions.timers import fire_timer


def fire_timer_job(run: JobRun) -> str:
    payload = run.job.payload or {}
    if run.job.instance_id is None:
        return "Aucun dossier\u00a0: rien à faire."
    return fire_timer(run.session, run.job.instance_id, str(payload.get("task_id", "")))
