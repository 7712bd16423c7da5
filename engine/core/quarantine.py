"""Uploads screened by the antivirus (engine/core/antivirus.py) before anything is kept: an
infected one is refused in French and quarantined (its bytes in the quarantine folder, out of
every user's reach; a `quarantined_file` row and an audit event, written by the caller in a
transaction of their own so that the refusal of the user's form does not undo them); it never
becomes a piece."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from engine.core.antivirus import Antivirus, AntivirusUnavailable
from engine.core.clock import utcnow
from engine.core.errors import DocumentRefused
from engine.core.models import AuditEvent, QuarantinedFile

log = logging.getLogger("inventaire.antivirus")

UNAVAILABLE = (
    "L'analyse antivirus est indisponible\u00a0: le fichier «\u00a0{name}\u00a0» n'a pas pu "
    "être vérifié et n'a pas été enregistré. Réessayez dans quelques minutes\u00a0; si cela "
    "dure, prévenez le service."
)
INFECTED = (
    "Le fichier «\u00a0{name}\u00a0» a été refusé\u00a0: l'antivirus y a détecté un code "
    "malveillant ({signature}). Il a été mis à l'écart et n'est pas joint au dossier. "
    "Vérifiez votre poste, puis envoyez un fichier sain."
)
CONTEXT_LABELS = {
    "piece": "une pièce du dossier",
    "message": "un message",
    "annotation": "une annotation",
    "avis_expert": "un avis d'expert",
}


@dataclass(frozen=True)
class UploadOrigin:
    """Where an upload comes from, for the incident's row: what it was sent with, the dossier,
    and the user (None: an expert, who has no account)."""

    context: str
    instance_id: int | None
    user_id: int | None


@dataclass(frozen=True)
class Incident:
    """An infected upload, its bytes already in the quarantine folder under `storage_key`."""

    name: str
    size: int
    sha256: str
    signature: str
    storage_key: str
    at: datetime
    origin: UploadOrigin | None


def screen(
    antivirus: Antivirus | None,
    name: str,
    content: bytes,
    field: str | None,
    origin: UploadOrigin | None,
    incidents: list[Incident] | None = None,
) -> None:
    """Nothing when the file is clean (or no antivirus is configured); DocumentRefused (French)
    when it cannot be scanned and the hook fails closed, or when it is infected: then its bytes
    are quarantined and its incident added to `incidents`, for the caller to `record` in a
    transaction that the refusal does not roll back."""
    if antivirus is None:
        return
    try:
        verdict = antivirus.scanner.scan(content)
    except AntivirusUnavailable as error:
        if antivirus.fail_open:
            log.warning("Antivirus unavailable, %r accepted unscanned (fail open): %s", name, error)
            return
        log.error("Antivirus unavailable, %r refused (fail closed): %s", name, error)
        raise DocumentRefused(UNAVAILABLE.format(name=name), field=field) from None
    if verdict.signature is None:
        return
    incident = Incident(
        name=name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        signature=verdict.signature,
        storage_key=keep(antivirus.quarantine_dir, content),
        at=utcnow(),
        origin=origin,
    )
    log.warning(
        "Upload quarantined: %r (%d bytes, sha256 %s) matched %s; key %s, context %s, "
        "dossier %s, user %s",
        name,
        incident.size,
        incident.sha256,
        incident.signature,
        incident.storage_key,
        origin.context if origin else None,
        origin.instance_id if origin else None,
        origin.user_id if origin else None,
    )
    if incidents is not None:
        incidents.append(incident)
    raise DocumentRefused(INFECTED.format(name=name, signature=verdict.signature), field=field)


def keep(directory: Path, content: bytes) -> str:
    """The bytes written in the quarantine folder (readable by the service's account only)
    under a new key; the key."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = uuid.uuid4().hex
    descriptor = os.open(directory / key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    return key


def record(session: Session, incident: Incident) -> QuarantinedFile:
    """The incident's row and its audit event, in the caller's transaction (the caller
    commits)."""
    origin = incident.origin or UploadOrigin("inconnu", None, None)
    summary = (
        f"Fichier refusé par l'antivirus et mis en quarantaine\u00a0: {incident.name} "
        f"({incident.signature}), envoyé avec "
        f"{CONTEXT_LABELS.get(origin.context, origin.context)}."
    )
    row = QuarantinedFile(
        at=incident.at,
        name=incident.name[:200],
        size=incident.size,
        sha256=incident.sha256,
        signature=incident.signature[:200],
        storage_key=incident.storage_key,
        context=origin.context,
        instance_id=origin.instance_id,
        uploaded_by_id=origin.user_id,
    )
    session.add(row)
    session.flush()
    session.add(
        AuditEvent(
            instance_id=origin.instance_id,
            at=incident.at,
            actor_id=origin.user_id,
            kind="quarantaine",
            summary=summary,
            details={
                "quarantaine_id": row.id,
                "nom": incident.name,
                "sha256": incident.sha256,
                "signature": incident.signature,
                "contexte": origin.context,
            },
        )
    )
    return row
