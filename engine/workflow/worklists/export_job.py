"""Exports too large to wait for: an `export_file` row and its job, written together; the
worker writes the file (progress committed after each batch of rows, which the export's page
shows), keeps it like the pieces and marks it ready; only its creator downloads it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import jobs
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import NotFound, PermanentFailure
from engine.core.models import ExportFile, ExportStatus, Job, JobStatus, User
from engine.core.pieces import DocumentStore
from engine.core.settings import settings_of
from engine.jobs import JobKind, NewJob
from engine.jobs.api import JobRun
from engine.workflow.worklists import exports, writers
from engine.workflow.worklists.filters import Criteria


@dataclass(frozen=True)
class ExportRequest:
    """What to export: a filter (query string) or a selection (ids), the columns, the format."""

    format: str
    columns: tuple[str, ...]
    filter: dict[str, str] | None = None
    selected: tuple[int, ...] | None = None

    def as_params(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "filter": self.filter,
            "ids": list(self.selected) if self.selected is not None else None,
        }

    @classmethod
    def of(cls, kind: str, params: dict[str, Any]) -> ExportRequest:
        ids = params.get("ids")
        return cls(
            kind,
            tuple(params.get("columns") or ()),
            params.get("filter"),
            tuple(int(value) for value in ids) if ids is not None else None,
        )

    def ids(self, session: Session, actor: Actor) -> list[int]:
        if self.selected is not None:
            return exports.ordered_ids(session, actor, ids=self.selected)
        criteria = Criteria.from_args(self.filter or {}, default_sort="recent")
        return exports.ordered_ids(session, actor, criteria=criteria)


def filename(kind: str, now: datetime | None = None) -> str:
    return f"dossiers-{(now or utcnow()).strftime('%Y%m%d-%H%M')}.{kind}"


def start(session: Session, actor: Actor, request: ExportRequest, total: int) -> ExportFile:
    """The export's row and its job, in the caller's transaction."""
    export = ExportFile(
        owner_id=actor.id,
        format=request.format,
        params=request.as_params(),
        status=ExportStatus.PENDING,
        total=total,
        done=0,
        created_at=utcnow(),
    )
    session.add(export)
    session.flush()
    jobs.enqueue(
        session,
        [
            NewJob(
                kind=JobKind.EXPORT,
                key=job_key(export.id),
                label=f"Export de {total} dossiers ({request.format.upper()})",
                instance_id=None,
                payload={"export_id": export.id},
            )
        ],
    )
    return export


def export_of(session: Session, actor: Actor, export_id: int) -> ExportFile:
    """An export, for its creator only (anyone else: not found)."""
    export = session.get(ExportFile, export_id)
    if export is None or export.owner_id != actor.id:
        raise NotFound("Export introuvable.")
    return export


def failure_of(session: Session, export: ExportFile) -> str | None:
    """Why an export not ready will not be (its job became an incident), or None."""
    if export.status == ExportStatus.FAILED:
        return export.error or "erreur inattendue"
    job = session.scalar(select(Job).where(Job.idempotency_key == job_key(export.id)))
    if job is not None and job.status == JobStatus.FAILED:
        return "l'export n'a pas pu être construit (l'administrateur en est informé)"
    return None


def job_key(export_id: int) -> str:
    return f"export:{export_id}"


def my_exports(session: Session, actor: Actor, limit: int = 10) -> Sequence[ExportFile]:
    return session.scalars(
        select(ExportFile)
        .where(ExportFile.owner_id == actor.id)
        .order_by(ExportFile.created_at.desc(), ExportFile.id.desc())
        .limit(limit)
    ).all()


def export_job(run: JobRun) -> str:
    session = run.session
    export_id = (run.job.payload or {}).get("export_id")
    export = session.get(ExportFile, export_id) if isinstance(export_id, int) else None
    if export is None:
        raise PermanentFailure("Export introuvable.")
    owner = session.get(User, export.owner_id)
    pieces_dir = settings_of(session).pieces_dir
    if owner is None or pieces_dir is None:
        raise PermanentFailure("Export impossible\u00a0: aucun dossier de stockage configuré.")
    store = DocumentStore(pieces_dir)
    request = ExportRequest.of(export.format, export.params)
    columns = exports.chosen_columns(request.columns)
    ids = request.ids(session, Actor.from_user(owner))
    export.status = ExportStatus.RUNNING
    export.done = 0
    export.total = len(ids)
    run.commit_intent()

    def advanced(done: int) -> None:
        # Progress read by the export's page (another transaction): committed as it goes.
        export.done = done
        run.commit_intent()

    key = os.urandom(16).hex()
    path = store.path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    with temporary.open("wb") as out:
        written = writers.write(
            export.format,
            out,
            [column.label for column in columns],
            exports.stream(session, columns, ids, advanced),
        )
    os.replace(temporary, path)
    export.storage_key = key
    export.filename = filename(export.format)
    export.done = written
    export.total = written
    export.status = ExportStatus.READY
    export.finished_at = utcnow()
    return f"Export de {written} dossiers prêt."
