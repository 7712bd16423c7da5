"""Small tables every action reads, kept in each process's memory between transactions.

A table listed in `cache_stamp` has a random stamp that a database trigger renews at each
change (migration 0026), whoever makes it. A transaction reads the stamps once (or gets them
with the signed-in session's query, `stamp_columns`), and a process reloads a table only when
its stamp moved: several processes and hosts stay right without telling each other. Within a
transaction that changes the table itself, nothing is kept: what it reads is its own."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, ScalarSelect, select
from sqlalchemy.orm import Session

from engine.core import per_transaction
from engine.core.models import CacheStamp

T = TypeVar("T")

# The tables with a stamp (migration 0026 gives each its trigger).
STAMPED = ("absence", "webhook_subscription", "user", "user_role")
_STAMPS = "cache_stamps"
_kept: weakref.WeakKeyDictionary[Engine, dict[Hashable, tuple[tuple[str | None, ...], Any]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def cached(
    session: Session,
    tables: tuple[str, ...],
    key: Hashable,
    watched: tuple[type[Any], ...],
    load: Callable[[], T],
) -> T:
    """`load()`'s result for `key`, kept by this process while the stamps of `tables` (mapped
    by the `watched` models) stay."""
    if any(per_transaction.changed_in_transaction(session, model) for model in watched):
        return load()
    found_stamps = stamps(session)
    stamp = tuple(found_stamps.get(table) for table in tables)
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _lock:
        kept = _kept.setdefault(engine, {})
        found = kept.get((tables, key))
    if found is not None and found[0] == stamp and None not in stamp:
        return found[1]
    value = load()
    if None not in stamp:
        with _lock:
            kept[(tables, key)] = (stamp, value)
    return value


def stamps(session: Session) -> dict[str, str]:
    """{table: stamp}, read once per transaction."""
    return per_transaction.read_once(session, _STAMPS, CacheStamp, lambda: _read(session))


def _read(session: Session) -> dict[str, str]:
    rows = session.execute(select(CacheStamp.table_name, CacheStamp.stamp))
    return {table: stamp for table, stamp in rows}


def stamp_column(table: str) -> ScalarSelect[str]:
    """The stamp of `table` as a column of another query (the signed-in session's)."""
    return select(CacheStamp.stamp).where(CacheStamp.table_name == table).scalar_subquery()


def remember(session: Session, found: dict[str, str]) -> None:
    """Stamps read by another query of this transaction: no query of their own."""
    per_transaction.remember(session, _STAMPS, CacheStamp, found)
