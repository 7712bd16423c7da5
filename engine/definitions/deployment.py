"""Deploying a process model: build it, check it against every rule, store it as a version."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.clock import utcnow
from engine.core.errors import ProcessModelError
from engine.core.models import ProcessVersion, ProcessVersionStatus
from engine.definitions.definition import build_definition, find_latest_version
from engine.definitions.folders import content_hash
from engine.definitions.validation import validate_definition


def deploy(
    session: Session, files: dict[str, str], actor_id: int | None = None
) -> tuple[ProcessVersion, bool]:
    """Store the model as a new version unless the latest has the same content.

    Returns (version, created). Raises ProcessModelError when the model is not deployable.
    """
    definition = build_definition(files)
    problems = validate_definition(definition)
    if problems:
        raise ProcessModelError("Le modèle n'est pas déployable.", problems=problems)
    digest = content_hash(files)
    latest = find_latest_version(session, definition.key)
    if latest is not None and latest.content_hash == digest:
        return latest, False
    number = (
        session.scalar(
            select(func.max(ProcessVersion.version)).where(ProcessVersion.key == definition.key)
        )
        or 0
    )
    version = ProcessVersion(
        key=definition.key,
        version=number + 1,
        title=definition.title,
        content_hash=digest,
        files=files,
        spec=spiff.dump_spec(definition.parsed),
        status=ProcessVersionStatus.ACTIVE,
        deployed_by_id=actor_id,
        deployed_at=utcnow(),
    )
    session.add(version)
    session.flush()
    return version, True
