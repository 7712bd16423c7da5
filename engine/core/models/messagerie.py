"""The messagerie of a dossier (messages between its submitters and the staff, with their
pieces jointes and who read them up to where) and the staff's annotations privées.

Messages and annotations are separate tables, each with its own pieces: nothing that lists,
counts or serves a message can reach an annotation. Neither is ever updated nor deleted (a
message is followed by another), except with their dossier (a draft deleted).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class MessageSide(StrEnum):
    """Who wrote a message: the dossier's submitters, or the staff who instruct it (fixed when
    written, whatever its author's roles become)."""

    DEMANDEUR = "demandeur"
    INSTRUCTION = "instruction"


class Message(Base):
    __tablename__ = "message"
    # A dossier's thread in order, and the unread counts of one side (ids only grow).
    __table_args__ = (Index("ix_message_instance_side", "instance_id", "side", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Annotation(Base):
    """An annotation privée: what the staff note on a dossier, never shown to its submitters."""

    __tablename__ = "annotation"
    __table_args__ = (Index("ix_annotation_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessagePiece(Base):
    """A pièce jointe of a message: checked and stored like a dossier's pieces
    (engine/workflow/documents.py), outside the web root."""

    __tablename__ = "message_piece"
    __table_args__ = (Index("ix_message_piece_message", "message_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)


class AnnotationPiece(Base):
    """A pièce jointe of an annotation privée (staff only, like its annotation)."""

    __tablename__ = "annotation_piece"
    __table_args__ = (Index("ix_annotation_piece_annotation", "annotation_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)


class MessageRead(Base):
    """How far a user has read a dossier's messages: the last message shown to them on the
    dossier's page (messages of the other side past it are unread)."""

    __tablename__ = "message_read"

    instance_id: Mapped[int] = mapped_column(
        ForeignKey("instance.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    last_message_id: Mapped[int] = mapped_column(BigInteger)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
