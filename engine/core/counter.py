"""Monotonic counters (references, register numbers): one atomic upsert, never reused."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.core.models import Counter


def next_value(session: Session, name: str) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Counter)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
    return int(session.execute(statement).scalar_one())


def dossier_reference(session: Session, year: int) -> str:
    """INV-AAAA-NNNNN, numbered per year."""
    return f"INV-{year}-{next_value(session, f'reference-{year}'):05d}"
