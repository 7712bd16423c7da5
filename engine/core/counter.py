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


# The prefix of the Inventaire's references; a process folder sets its own (process.json,
# "prefixe_reference": "RS-DEM" for France compétences' Répertoire spécifique).
INVENTAIRE_PREFIX = "INV"


def dossier_reference(session: Session, year: int, prefix: str = INVENTAIRE_PREFIX) -> str:
    """PREFIXE-AAAA-NNNNN (INV-2026-00042, RS-DEM-2026-00007), numbered per prefix and year."""
    return f"{prefix}-{year}-{next_value(session, reference_counter(prefix, year)):05d}"


def reference_counter(prefix: str, year: int) -> str:
    """The counter behind a prefix's references of a year. The Inventaire's keeps the name it had
    before prefixes (`reference-AAAA`): a database in service goes on numbering from where it
    was, without a migration; a prefix starts with a letter, so no other name can meet it."""
    if prefix == INVENTAIRE_PREFIX:
        return f"reference-{year}"
    return f"reference-{prefix}-{year}"
