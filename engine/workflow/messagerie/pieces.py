"""The pieces jointes of messages and annotations privées, served to those who may read them:
anyone else gets NotFound, as for a piece that does not exist (an address guessed reveals
nothing)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.errors import NotFound
from engine.core.models import Annotation, AnnotationPiece, Instance, Message, MessagePiece
from engine.workflow import access
from engine.workflow.documents import DocumentStore

NOT_FOUND = "Pièce jointe introuvable."


def message_piece(
    session: Session, store: DocumentStore, actor: Actor, piece_id: int
) -> tuple[MessagePiece, Path]:
    """A message's piece jointe and its file (`access.may_read_messages`)."""
    found = session.execute(
        select(MessagePiece, Instance)
        .join(Message, Message.id == MessagePiece.message_id)
        .join(Instance, Instance.id == Message.instance_id)
        .where(MessagePiece.id == piece_id)
    ).first()
    if found is None or not access.may_read_messages(actor, found[1]):
        raise NotFound(NOT_FOUND)
    return found[0], stored_file(store, found[0].storage_key)


def annotation_piece(
    session: Session, store: DocumentStore, actor: Actor, piece_id: int
) -> tuple[AnnotationPiece, Path]:
    """An annotation's piece jointe and its file (`access.may_read_annotations`)."""
    found = session.execute(
        select(AnnotationPiece, Instance)
        .join(Annotation, Annotation.id == AnnotationPiece.annotation_id)
        .join(Instance, Instance.id == Annotation.instance_id)
        .where(AnnotationPiece.id == piece_id)
    ).first()
    if found is None or not access.may_read_annotations(actor, found[1]):
        raise NotFound(NOT_FOUND)
    return found[0], stored_file(store, found[0].storage_key)


def stored_file(store: DocumentStore, key: str) -> Path:
    path = store.path_for(key)
    if not path.is_file():
        raise NotFound("Le fichier de cette pièce jointe est introuvable sur le serveur.")
    return path
