"""What the diagram viewer shows: a version's BPMN, a dossier's path on it, waiting counts."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import NotFound
from engine.core.models import Instance, ProcessVersion, WorkItem, WorkItemStatus
from engine.definitions.definition import definition_for, main_diagram
from engine.workflow.lookup import get_instance
from engine.workflow.state import load_workflow


def version_by_number(session: Session, key: str, number: int) -> ProcessVersion:
    version = session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == number)
    )
    if version is None:
        raise NotFound("Version introuvable.")
    return version


def version_xml(version: ProcessVersion) -> str:
    files = dict(version.files)
    return files[main_diagram(files)]


def dossier_diagram(session: Session, actor: Actor, instance_id: int) -> tuple[str, dict[str, Any]]:
    """The dossier's own version of the diagram and its path on it (completed, current, waiting)."""
    instance = get_instance(session, actor, instance_id)
    version = session.get(ProcessVersion, instance.process_version_id)
    assert version is not None
    workflow = load_workflow(session, instance, definition_for(session, version.id))
    return version_xml(version), {**spiff.path_markers(workflow), "counts": {}}


def version_markers(session: Session, version: ProcessVersion) -> dict[str, Any]:
    """How many dossiers wait at each task of the version, and their median wait."""
    counts = {
        row.task_spec: {"count": row.count, "median_days": row.median_days}
        for row in waiting_at(session, version.id)
    }
    return {"completed": [], "current": [], "waiting": sorted(counts), "counts": counts}


@dataclass(frozen=True)
class Waiting:
    """Dossiers waiting at one task of a version, and how long they have waited (median)."""

    task_spec: str
    title: str
    count: int
    median_days: float


def waiting_at(session: Session, version_id: int) -> list[Waiting]:
    """Open work items of the version's dossiers by task, with the median wait in days."""
    now = utcnow()
    rows = session.execute(
        select(WorkItem.task_spec, WorkItem.task_title, WorkItem.created_at)
        .join(Instance, Instance.id == WorkItem.instance_id)
        .where(Instance.process_version_id == version_id, WorkItem.status == WorkItemStatus.OPEN)
    ).all()
    grouped: dict[tuple[str, str], list[float]] = {}
    for task_spec, title, created_at in rows:
        grouped.setdefault((task_spec, title), []).append(
            (now - created_at).total_seconds() / 86400
        )
    return [
        Waiting(task_spec, title, len(waits), round(median(waits), 1))
        for (task_spec, title), waits in sorted(grouped.items())
    ]
