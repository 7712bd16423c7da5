"""Writing in a dossier: a message of its messagerie, or an annotation privée. One action, one
transaction (the caller commits): the row, its pieces jointes, the audit event and, for a
message, the emails that tell its other side. Neither is ever changed afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from sqlalchemy.orm import Session

from engine import jobs
from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import DocumentRefused, FormInvalid
from engine.core.models import Annotation, AnnotationPiece, Message, MessagePiece, MessageSide
from engine.core.quarantine import UploadOrigin
from engine.emails import notifications
from engine.workflow import documents
from engine.workflow.access import (
    enforce,
    may_read_staff_side,
    refusal_to_write_annotation,
    refusal_to_write_message,
)
from engine.workflow.documents import CheckedFile, DocumentStore
from engine.workflow.lookup import get_instance

# A message is a letter, not a file: longer texts go in a piece jointe.
MAX_BODY = 10_000
MAX_PIECES = 5
# The form's fields, named in the errors.
BODY_FIELD = "texte"
PIECES_FIELD = "pieces"
NARROW_NBSP = "\u202f"


@dataclass(frozen=True)
class Upload:
    """A file as it was posted: the name the browser gave and its bytes to read."""

    filename: str
    stream: IO[bytes]


def send_message(
    session: Session,
    store: DocumentStore,
    actor: Actor,
    instance_id: int,
    text: str,
    uploads: list[Upload],
) -> Message:
    """A message from the actor's side (`access.refusal_to_write_message`); FormInvalid
    (French, per field) when the text or a piece jointe is not acceptable: nothing written."""
    instance = get_instance(session, actor, instance_id)
    enforce(session, refusal_to_write_message(actor, instance))
    origin = UploadOrigin("message", instance.id, actor.id)
    body, checked = checked_text(store, text, uploads, "Écrivez votre message.", origin=origin)
    side = MessageSide.INSTRUCTION if may_read_staff_side(actor) else MessageSide.DEMANDEUR
    message = Message(
        instance_id=instance.id, side=side, author_id=actor.id, body=body, created_at=utcnow()
    )
    session.add(message)
    session.flush()
    for piece in checked:
        session.add(MessagePiece(message_id=message.id, **stored(store, piece)))
    audit.record(
        session,
        instance.id,
        actor,
        "message",
        summary("Message envoyé", checked),
        details={"message_id": message.id, "pieces": traces(checked)},
    )
    jobs.enqueue(
        session,
        notifications.for_message(
            session, instance, message.id, side == MessageSide.INSTRUCTION, actor
        ),
    )
    session.flush()
    return message


def write_annotation(
    session: Session,
    store: DocumentStore,
    actor: Actor,
    instance_id: int,
    text: str,
    uploads: list[Upload],
) -> Annotation:
    """An annotation privée (`access.refusal_to_write_annotation`): nobody is emailed, the
    submitter's side never reads it, not even in the history."""
    instance = get_instance(session, actor, instance_id)
    enforce(session, refusal_to_write_annotation(actor, instance))
    origin = UploadOrigin("annotation", instance.id, actor.id)
    body, checked = checked_text(
        store, text, uploads, "Écrivez le texte de l'annotation.", origin=origin
    )
    annotation = Annotation(
        instance_id=instance.id, author_id=actor.id, body=body, created_at=utcnow()
    )
    session.add(annotation)
    session.flush()
    for piece in checked:
        session.add(AnnotationPiece(annotation_id=annotation.id, **stored(store, piece)))
    audit.record(
        session,
        instance.id,
        actor,
        "annotation",
        summary("Annotation privée ajoutée", checked),
        details={"annotation_id": annotation.id, "pieces": traces(checked)},
    )
    session.flush()
    return annotation


def checked_text(
    store: DocumentStore,
    text: str,
    uploads: list[Upload],
    empty: str,
    *,
    max_body: int = MAX_BODY,
    origin: UploadOrigin | None = None,
) -> tuple[str, list[CheckedFile]]:
    """The text as kept (line breaks made `\\n`) and the pieces jointes read and checked like
    a dossier's pieces; every fault at once, before anything is written."""
    errors: dict[str, str] = {}
    body = _body(text, empty, errors, max_body)
    checked: list[CheckedFile] = []
    if len(uploads) > MAX_PIECES:
        errors[PIECES_FIELD] = f"Joignez {MAX_PIECES} fichiers au plus à un même envoi."
    else:
        refused = []
        for upload in uploads:
            try:
                checked.append(
                    documents.check_upload(
                        store, PIECES_FIELD, upload.filename, upload.stream, origin
                    )
                )
            except DocumentRefused as error:
                refused.append(error.user_message)
        if refused:
            errors[PIECES_FIELD] = " ".join(refused)
    if errors:
        raise FormInvalid(errors)
    return body, checked


def message_body(text: str) -> str:
    """A message's text as it would be kept, or FormInvalid (checked once before a message is
    sent to many dossiers)."""
    errors: dict[str, str] = {}
    body = _body(text, "Écrivez votre message.", errors)
    if errors:
        raise FormInvalid(errors)
    return body


def _body(text: str, empty: str, errors: dict[str, str], max_body: int = MAX_BODY) -> str:
    body = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        errors[BODY_FIELD] = empty
    elif len(body) > max_body:
        errors[BODY_FIELD] = (
            f"Votre texte compte {_count(len(body))} caractères, pour {_count(max_body)} au "
            "plus\u00a0: raccourcissez-le, ou joignez-le comme pièce jointe."
        )
    return body


def stored(store: DocumentStore, piece: CheckedFile) -> dict[str, object]:
    """A checked piece jointe written to disk: the columns of its row."""
    return {
        "name": piece.name,
        "content_type": piece.content_type,
        "size": len(piece.content),
        "sha256": piece.sha256,
        "storage_key": documents.write_file(store, piece),
    }


def summary(what: str, pieces: list[CheckedFile]) -> str:
    """The history's line: what was written and the names of its pieces, never its text."""
    if not pieces:
        return f"{what}."
    names = ", ".join(piece.name for piece in pieces)
    label = "pièces jointes" if len(pieces) > 1 else "pièce jointe"
    return f"{what} ({label}\u00a0: {names})."


def traces(pieces: list[CheckedFile]) -> list[dict[str, str]]:
    return [{"nom": piece.name, "sha256": piece.sha256} for piece in pieces]


def _count(value: int) -> str:
    """`10 000`: thousands apart by a narrow no-break space from five digits on."""
    return f"{value:,}".replace(",", NARROW_NBSP) if value >= 10_000 else str(value)
