"""The studio's engine side: process models, their versions, the shared draft, where dossiers
wait. Process owners change the procedure here; deployments go through
engine.definitions.definition."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import Conflict, FormInvalid, NotFound
from engine.core.models import (
    Instance,
    InstanceStatus,
    ProcessDraft,
    ProcessVersion,
)
from engine.definitions.checking import check_files
from engine.definitions.definition import find_latest_version
from engine.definitions.deployment import deploy
from engine.definitions.folders import PROCESS_FILE
from engine.people.accounts import user_names
from engine.studio.replay import replay
from engine.studio.scenario import ScenarioResult, load_scenarios
from engine.workflow.conflicts import flush_or_conflict

# What a draft may hold: the model's own files, nothing else (no path tricks, no big blobs).
FILE_NAME = re.compile(
    r"^(?:[A-Za-z0-9_.-]+\.(?:bpmn|dmn)|process\.json|forms/[A-Za-z0-9_.-]+\.json)$"
)
MAX_FILE_CHARS = 2_000_000
MAX_FILES = 200


@dataclass(frozen=True)
class VersionSummary:
    id: int
    version: int
    deployed_at: datetime
    deployed_by: str
    running: int
    total: int


@dataclass(frozen=True)
class ProcessSummary:
    key: str
    title: str
    latest: VersionSummary
    versions: list[VersionSummary]
    draft_updated_at: datetime | None
    draft_updated_by: str | None


@dataclass(frozen=True)
class Problem:
    element: str
    message: str

    @classmethod
    def from_line(cls, line: str) -> Problem:
        # `element-id: reason` (or `file.json: reason`); a sentence is no element.
        element, _, rest = line.partition(": ")
        return cls(element if rest and not any(c.isspace() for c in element) else "", line)


def versions_of(session: Session, key: str) -> list[VersionSummary]:
    """Every version of a model, newest first, with its dossiers (running and in all)."""
    rows = session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.key == key)
        .order_by(ProcessVersion.version.desc())
    ).all()
    if not rows:
        raise NotFound(f"Modèle de processus «\u00a0{key}\u00a0» introuvable.")
    counts = {
        (version_id, status): count
        for version_id, status, count in session.execute(
            select(Instance.process_version_id, Instance.status, func.count(Instance.id))
            .where(Instance.process_version_id.in_([row.id for row in rows]))
            .group_by(Instance.process_version_id, Instance.status)
        )
    }
    names = user_names(session, {row.deployed_by_id for row in rows})
    return [
        VersionSummary(
            id=row.id,
            version=row.version,
            deployed_at=row.deployed_at,
            deployed_by=names.get(row.deployed_by_id or 0, "déploiement initial"),
            running=counts.get((row.id, InstanceStatus.RUNNING), 0),
            total=sum(count for (version_id, _), count in counts.items() if version_id == row.id),
        )
        for row in rows
    ]


def process_summaries(session: Session) -> list[ProcessSummary]:
    keys = session.scalars(select(ProcessVersion.key).distinct().order_by(ProcessVersion.key)).all()
    drafts = {draft.key: draft for draft in session.scalars(select(ProcessDraft))}
    names = user_names(session, {draft.updated_by_id for draft in drafts.values()})
    summaries = []
    for key in keys:
        versions = versions_of(session, key)
        latest = session.get(ProcessVersion, versions[0].id)
        draft = drafts.get(key)
        summaries.append(
            ProcessSummary(
                key=key,
                title=latest.title if latest else key,
                latest=versions[0],
                versions=versions,
                draft_updated_at=draft.updated_at if draft else None,
                draft_updated_by=names.get(draft.updated_by_id or 0) if draft else None,
            )
        )
    return summaries


# --- the draft -------------------------------------------------------------------------------


def get_draft(session: Session, actor: Actor, key: str) -> ProcessDraft:
    """The model's draft, opened from its latest version the first time."""
    draft = session.get(ProcessDraft, key)
    if draft is not None:
        return draft
    latest = find_latest_version(session, key)
    if latest is None:
        raise NotFound(f"Modèle de processus «\u00a0{key}\u00a0» introuvable.")
    draft = ProcessDraft(
        key=key,
        files=dict(latest.files),
        base_version_id=latest.id,
        updated_by_id=actor.id,
        updated_at=utcnow(),
    )
    session.add(draft)
    session.flush()
    return draft


def save_draft(
    session: Session, actor: Actor, key: str, files: dict[str, str], seen: int | None = None
) -> ProcessDraft:
    """Replace the draft's files (Enregistrer le brouillon); `seen` guards against overwriting
    what another owner saved meanwhile."""
    errors = _file_errors(files)
    if errors:
        raise FormInvalid(errors)
    draft = get_draft(session, actor, key)
    if seen is not None and draft.lock_version != seen:
        who = user_names(session, {draft.updated_by_id}).get(draft.updated_by_id or 0, "quelqu'un")
        raise Conflict(
            f"Le brouillon a été enregistré entre-temps par {who}\u202f; rechargez-le avant de "
            "l'enregistrer à nouveau."
        )
    draft.files = dict(files)
    draft.updated_by_id = actor.id
    draft.updated_at = utcnow()
    flush_or_conflict(session, "Le brouillon vient d'être enregistré par quelqu'un d'autre.")
    return draft


def _file_errors(files: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(files) > MAX_FILES:
        errors[""] = f"Un modèle compte {MAX_FILES} fichiers au plus."
    for name, text in files.items():
        if not isinstance(name, str) or not FILE_NAME.match(name):
            errors[str(name)[:100]] = (
                "Nom de fichier refusé (diagrammes .bpmn/.dmn, process.json, forms/*.json)."
            )
        elif not isinstance(text, str) or len(text) > MAX_FILE_CHARS:
            errors[name] = "Fichier trop volumineux ou illisible (2 Mo au plus)."
        elif name.endswith(".json"):
            try:
                json.loads(text)
            except json.JSONDecodeError as error:
                errors[name] = f"JSON invalide\u00a0: {error.msg} (ligne {error.lineno})."
    if PROCESS_FILE not in files:
        errors[PROCESS_FILE] = "Le fichier process.json est obligatoire."
    return errors


def check_draft(draft: ProcessDraft) -> list[Problem]:
    """The same verdict as `inventaire processes check` on the same files."""
    return [Problem.from_line(line) for line in check_files(dict(draft.files))]


def deploy_draft(session: Session, actor: Actor, key: str) -> tuple[ProcessVersion, bool]:
    draft = get_draft(session, actor, key)
    version, created = deploy(session, dict(draft.files), actor_id=actor.id)
    draft.base_version_id = version.id
    session.flush()
    return version, created


def run_scenarios(draft: ProcessDraft, processes_dir: Path) -> list[ScenarioResult]:
    """The process folder's scenarios, replayed against the draft (ProcessModelError if the
    draft is not deployable)."""
    scenarios = load_scenarios(processes_dir / draft.key)
    return replay(dict(draft.files), scenarios)
