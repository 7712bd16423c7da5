"""Cache stamps: a random value per small table that every action reads (the absences, the
webhook subscriptions), renewed by a database trigger at each change of that table, whoever
makes it (the application, a bulk load, an administrator in psql). Processes keep those tables
in memory and reload one when its stamp moved (engine.core.process_cache)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.models.base import Base


class CacheStamp(Base):
    __tablename__ = "cache_stamp"

    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))
