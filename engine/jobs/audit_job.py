"""The audit trail's periodic job: link the events committed since the last run, write the
day's seal (once a Paris day, when the operator gave a key), and schedule the next run."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import audit_chain, audit_seal
from engine.core.clock import PARIS, utcnow
from engine.core.models import AuditSeal
from engine.core.settings import settings_of
from engine.jobs.api import JobRun
from engine.jobs.queue import JobKind, NewJob, enqueue


def schedule(session: Session, after: datetime | None = None) -> None:
    """The next run, keyed by its time slot: whoever schedules the same slot (the worker at its
    start, the previous run, `inventaire audit seal`) leaves one row."""
    minutes = settings_of(session).audit_link_minutes
    start = after or utcnow()
    slot = start.replace(second=0, microsecond=0) - timedelta(minutes=start.minute % minutes)
    if after is not None:
        slot += timedelta(minutes=minutes)
    enqueue(
        session,
        [
            NewJob(
                kind=JobKind.AUDIT_CHAINAGE,
                key=f"audit-chainage:{slot:%Y-%m-%dT%H:%M}",
                label="Chaînage du journal d'audit",
                instance_id=None,
                payload={},
                run_at=max(slot, utcnow()) if after is None else slot,
            )
        ],
    )


def link_and_seal_job(run: JobRun) -> str:
    session = run.session
    linked = audit_chain.link_pending(session)
    said = f"{linked} événement(s) chaîné(s)"
    key = settings_of(session).audit_seal_key
    if key and not _sealed_today(session):
        row = audit_seal.seal(session, key)
        said += f"\u202f; sceau n° {row.id} écrit (position {row.chain_seq})"
    schedule(session, after=utcnow())
    return said + "."


def _sealed_today(session: Session) -> bool:
    local = utcnow().astimezone(PARIS)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    found = session.scalar(select(AuditSeal.id).where(AuditSeal.at >= midnight).limit(1))
    return found is not None
