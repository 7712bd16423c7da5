"""Process models: the deployed versions and the studio's shared draft of each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class ProcessVersionStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class ProcessVersion(Base):
    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    # {"recensement.bpmn": "<xml…>", "forms/x.schema.json": "{…}", "process.json": "{…}"}
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    # SpiffWorkflow's serialized spec (JSON text), stored once per version, never per instance.
    spec: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ProcessVersionStatus.ACTIVE)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessDraft(Base):
    """The version a process owner is editing in the studio: one shared draft per process."""

    __tablename__ = "process_draft"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}
