"""What the diagram viewer shows: a version's BPMN, a dossier's path on it, waiting counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import spiff
from engine.actor import Actor
from engine.definition import definition_for
from engine.errors import NotFound
from engine.models import ProcessVersion
from engine.runtime import get_instance, load_workflow
from engine.studio import main_diagram, waiting_at


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
