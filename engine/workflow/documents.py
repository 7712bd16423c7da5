"""Uploaded pieces: checked by content, stored outside the web root, served to those who may."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import DocumentRefused, NotFound
from engine.core.models import Document, Instance, User
from engine.core.pieces import DocumentStore
from engine.core.quarantine import UploadOrigin, screen
from engine.core.settings import DEFAULT_MAX_PIECE_BYTES, megabytes
from engine.workflow import access, office_archive

DEFAULT_MAX_BYTES = DEFAULT_MAX_PIECE_BYTES
ALLOWED = {
    ".pdf": "application/pdf",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def detect_type(filename: str, head: bytes, content: bytes) -> str | None:
    """The real type of a piece from its bytes, or None when it is not PDF, ODT or DOCX.

    DocumentRefused when an ODT or DOCX is an abnormal archive (a zip bomb): its members are
    never inflated past what the check reads (see engine/office_archive.py).
    """
    suffix = Path(filename).suffix.lower()
    if suffix == ".pdf" and head.startswith(b"%PDF-"):
        return ALLOWED[".pdf"]
    if suffix in (".odt", ".docx") and head.startswith(b"PK\x03\x04"):
        return ALLOWED[suffix] if office_archive.detect(filename, suffix, content) else None
    return None


def clean_filename(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name[:200] or "piece"


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, not yet written: its clean name, bytes and real type."""

    name: str
    content: bytes
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def check_upload(
    store: DocumentStore,
    field: str | None,
    filename: str,
    stream: IO[bytes],
    origin: UploadOrigin | None = None,
) -> CheckedFile:
    """Read and check one upload (size, not empty, the antivirus when one is configured, type
    by content); DocumentRefused (French) when it is not acceptable. Nothing is written but an
    infected file's quarantine (engine/core/quarantine.py), whatever its type."""
    name = clean_filename(filename)
    content = stream.read(store.max_bytes + 1)
    if len(content) > store.max_bytes:
        raise DocumentRefused(
            f"Le fichier «\u00a0{name}\u00a0» dépasse la taille autorisée "
            f"({megabytes(store.max_bytes)} au plus).",
            field=field,
        )
    if not content:
        raise DocumentRefused(f"Le fichier «\u00a0{name}\u00a0» est vide.", field=field)
    screen(store.antivirus, name, content, field, origin, store.incidents)
    try:
        content_type = detect_type(name, content[:8], content)
    except DocumentRefused as error:
        raise DocumentRefused(error.user_message, field=field) from None
    if content_type is None:
        raise DocumentRefused(
            f"Le fichier «\u00a0{name}\u00a0» n'est pas un document PDF, ODT ou DOCX valide.",
            field=field,
        )
    return CheckedFile(name, content, content_type)


def write_file(store: DocumentStore, checked: CheckedFile) -> str:
    """Keep a checked upload on disk (whole or not at all); its storage key."""
    return store.write(checked.content)


def store(
    session: Session,
    store: DocumentStore,
    actor: Actor,
    instance: Instance,
    field: str | None,
    filename: str,
    stream: IO[bytes],
) -> Document:
    """Check and keep one uploaded piece; DocumentRefused (French) when it is not acceptable."""
    origin = UploadOrigin("piece", instance.id, actor.id)
    checked = check_upload(store, field, filename, stream, origin)
    document = Document(
        instance_id=instance.id,
        name=checked.name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        storage_key=write_file(store, checked),
        field=field,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
    )
    session.add(document)
    session.flush()
    return document


def get_for_download(
    session: Session, store: DocumentStore, actor: Actor, document_id: int
) -> tuple[Document, Path]:
    """The piece and its file, if the actor may see it (`access.may_see_piece`; NotFound
    otherwise, as for a piece that does not exist)."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("Pièce introuvable.")
    instance = session.get(Instance, document.instance_id)
    uploader = session.get(User, document.uploaded_by_id) if document.uploaded_by_id else None
    if instance is None or not access.may_see_piece(
        actor,
        instance,
        uploader.organisation_id if uploader is not None else None,
        generated=document.modele is not None,
    ):
        raise NotFound("Pièce introuvable.")
    path = store.path_for(document.storage_key)
    if not path.is_file():
        raise NotFound("Le fichier de cette pièce est introuvable sur le serveur.")
    return document, path


def names_for(session: Session, instance_id: int, ids: list[str]) -> dict[str, str]:
    """{document id (text): file name} for the ids that belong to this dossier."""
    numeric = [int(value) for value in ids if str(value).isdigit()]
    if not numeric:
        return {}
    rows = session.query(Document.id, Document.name).filter(
        Document.instance_id == instance_id, Document.id.in_(numeric)
    )
    return {str(doc_id): name for doc_id, name in rows}


def readable_pieces(session: Session, actor: Actor, instance: Instance) -> list[Document]:
    """The dossier's pieces the actor may download (`access.may_see_piece`), in the order they
    came: what its page lists and what its ZIP holds."""
    rows = session.execute(
        select(Document, User.organisation_id)
        .outerjoin(User, User.id == Document.uploaded_by_id)
        .where(Document.instance_id == instance.id)
        .order_by(Document.id)
    )
    return [
        document
        for document, uploader_organisation in rows
        if access.may_see_piece(
            actor, instance, uploader_organisation, generated=document.modele is not None
        )
    ]
