"""Uploads the antivirus refused (engine/core/quarantine.py): what was sent, by whom, for
which dossier, and what matched; the file itself is in the quarantine folder, never a piece."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class QuarantinedFile(Base):
    """One infected upload, kept out of every user's reach (only the operator reads the
    quarantine folder); the incident's row, beside its audit event."""

    __tablename__ = "quarantined_file"
    __table_args__ = (Index("ix_quarantined_file_at", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The file's name as sent, its size and SHA-256, and the signature the scanner named.
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))
    # Its key in the quarantine folder (INVENTAIRE_QUARANTINE_DIR).
    storage_key: Mapped[str] = mapped_column(String(64))
    # Where it was sent: a dossier's piece, a message, an annotation, an expert's opinion.
    context: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="SET NULL"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
