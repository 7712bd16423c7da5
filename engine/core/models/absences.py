"""An agent's absence and their suppléant: who takes over their tasks meanwhile."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.models.base import Base, Id


class Absence(Base):
    """From `debut` to `fin` (Paris calendar days, both included) the tasks of `user_id` go to
    `suppleant_id` too; `cancelled_at` set: it never happened (or was cancelled)."""

    __tablename__ = "absence"
    __table_args__ = (
        Index("ix_absence_suppleant", "suppleant_id", "fin"),
        Index("ix_absence_user", "user_id", "fin"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    suppleant_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    debut: Mapped[date] = mapped_column(Date)
    fin: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
