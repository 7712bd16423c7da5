"""The audit trail: append-only rows written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.models import AuditEvent


def record(
    session: Session,
    instance_id: int | None,
    actor: Actor,
    kind: str,
    summary: str,
    *,
    task_spec: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        instance_id=instance_id,
        at=utcnow(),
        actor_id=actor.id,
        kind=kind,
        task_spec=task_spec,
        summary=summary,
        details=details,
    )
    session.add(event)
    return event


def summarize_changes(data: dict[str, Any], limit: int = 12) -> dict[str, Any]:
    """A short summary of submitted values for the trail (long texts cut)."""
    summary: dict[str, Any] = {}
    for key in list(data)[:limit]:
        value = data[key]
        if isinstance(value, str) and len(value) > 120:
            value = value[:117] + "…"
        elif isinstance(value, list) and len(value) > 5:
            value = [*value[:5], "…"]
        summary[key] = value
    return summary
