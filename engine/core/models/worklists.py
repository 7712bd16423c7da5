"""What the worklists keep per user: the views they saved (a named filter of *Bannette* or
*Tous les dossiers*) and the exports built in the background for them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class SavedView(Base):
    """A *vue enregistrée*: the query string of a list, under a name its owner chose."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("owner_id", "liste", "name"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # Which list: `bannette` or `dossiers`.
    liste: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class ExportFile(Base):
    """A large export built by a job: its progress while it runs, then its file (kept like the
    pieces, downloaded by its creator alone)."""

    __tablename__ = "export_file"
    __table_args__ = (Index("ix_export_file_owner", "owner_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # csv, xlsx or ods.
    format: Mapped[str] = mapped_column(String(8))
    # The list, its filter and the columns chosen (engine/workflow/worklists/exports.py).
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.PENDING)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
