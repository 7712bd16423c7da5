"""Small reads kept for the length of one transaction: tables of a few rows that every action
consults (the absences in force, the active webhook subscriptions), read once however many
emails or events the action writes. A change to such a table within the transaction, flushed
or pending, makes the next call read it again."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")

_KEY = "per_transaction"


def read_once(session: Session, key: Hashable, watched: type[Any], load: Callable[[], T]) -> T:
    """`load()`'s result, kept in this transaction under `key` until a `watched` row changes."""
    transaction = session.get_transaction()
    kept: dict[Hashable, tuple[Any, type[Any], Any]] = session.info.setdefault(_KEY, {})
    found = kept.get(key)
    if (
        found is not None
        and found[0] is transaction
        and not any(isinstance(obj, watched) for obj in (*session.new, *session.dirty))
    ):
        return found[2]
    value = load()
    if transaction is not None:
        kept[key] = (transaction, watched, value)
    return value


def remember(session: Session, key: Hashable, watched: type[Any], value: Any) -> None:
    """`value` read by another query of this transaction: what `read_once` gives for `key`."""
    transaction = session.get_transaction()
    if transaction is not None:
        session.info.setdefault(_KEY, {})[key] = (transaction, watched, value)


def changed_in_transaction(session: Session, model: type[Any]) -> bool:
    """Whether this transaction wrote a `model` row (flushed, or still pending)."""
    if any(isinstance(obj, model) for obj in (*session.new, *session.dirty, *session.deleted)):
        return True
    found = session.info.get(_CHANGED)
    return found is not None and found[0] is session.get_transaction() and model in found[1]


_CHANGED = "changed_in_transaction"


@event.listens_for(Session, "after_flush")
def _forget_what_changed(session: Session, _context: Any) -> None:
    changed = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    transaction = session.get_transaction()
    found = session.info.get(_CHANGED)
    if found is None or found[0] is not transaction:
        session.info[_CHANGED] = (transaction, changed)
    else:
        found[1].update(changed)
    kept: dict[Hashable, tuple[Any, type[Any], Any]] | None = session.info.get(_KEY)
    if not kept:
        return
    for key in [key for key, (_, watched, _) in kept.items() if watched in changed]:
        del kept[key]
