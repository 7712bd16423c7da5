"""Monotonic counters (references, register numbers): one atomic upsert, never reused."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.core import dialect
from engine.core.models import Counter


def next_value(session: Session, name: str) -> int:
    statement = dialect.insert_or_update(
        session,
        Counter,
        {"name": name, "value": 1},
        key=[Counter.name],
        update={"value": Counter.value + 1},
    ).returning(Counter.value)
    return int(session.execute(statement).scalar_one())


def dossier_reference(session: Session, year: int) -> str:
    """INV-AAAA-NNNNN, numbered per year."""
    return f"INV-{year}-{next_value(session, f'reference-{year}'):05d}"
