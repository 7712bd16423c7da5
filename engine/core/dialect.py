"""What SQLite and PostgreSQL write differently, in one place: upserts ("insert… on conflict"),
the write lock a SQLite transaction takes at BEGIN, and row locks that skip rows another
worker holds."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine, Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

# The execution option a connection's BEGIN reads (see `sqlite_begin` below).
SQLITE_BEGIN = "sqlite_begin"

Insert = postgresql.Insert | sqlite.Insert
S = TypeVar("S", bound=Select[Any])


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _insert(session: Session, model: type[Any]) -> Insert:
    return postgresql.insert(model) if is_postgresql(session) else sqlite.insert(model)


def insert_or_ignore(
    session: Session,
    model: type[Any],
    rows: Sequence[Mapping[str, Any]],
    key: Sequence[InstrumentedAttribute[Any]],
) -> None:
    """INSERT of `rows`; a row whose `key` (a unique index) is already there is left as it is.
    The rows go as parameters of one statement (compiled once, sent as one multi-row INSERT),
    not as values written into a new statement each time (compiled at every call)."""
    if rows:
        statement = _insert(session, model).on_conflict_do_nothing(index_elements=key)
        session.execute(statement, [dict(row) for row in rows])


def insert_or_update(
    session: Session,
    model: type[Any],
    values: Mapping[str, Any],
    key: Sequence[InstrumentedAttribute[Any]],
    update: Mapping[str, Any],
) -> Insert:
    """INSERT of one row, or, when its `key` is already there, UPDATE of that row with `update`
    (one atomic statement on both databases)."""
    return (
        _insert(session, model)
        .values(dict(values))
        .on_conflict_do_update(index_elements=key, set_=dict(update))
    )


def begin_writing(session: Session) -> Session:
    """A transaction that will write: on SQLite it takes the database's write lock at BEGIN
    (`BEGIN IMMEDIATE`), so writers wait their turn instead of failing when a reader upgrades
    too late. Call it before the session's first statement; PostgreSQL needs nothing."""
    if is_sqlite(session):
        session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    return session


def writing_session(session: Session) -> Session:
    """A session all of whose transactions will write (a POST request): on SQLite each one
    takes the write lock at BEGIN, the first and those after a rollback alike (an action that
    failed rolls back, then writes its incident: begun as a reader, that transaction could not
    become a writer once another request had committed)."""
    if is_sqlite(session):
        session.bind = _writing_engine(session.get_bind().engine)
    return session


# One writing variant per engine, made once: a new one per request would miss every cache
# keyed by engine (SQLAlchemy's compiled statements share the pool, not the variant).
_writing_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _writing_engine(engine: Engine) -> Engine:
    writing = _writing_engines.get(engine)
    if writing is None:
        writing = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        _writing_engines[engine] = writing
    return writing


def skip_locked(statement: S, session: Session) -> S:
    """PostgreSQL: lock the rows selected, skipping those another transaction holds (workers
    side by side never claim the same row). SQLite needs nothing: its writers take turns."""
    if is_postgresql(session):
        return statement.with_for_update(skip_locked=True)
    return statement


def sqlite_begin(connection: Any) -> None:
    """The `begin` listener of a SQLite engine (pysqlite's own BEGIN is turned off): `BEGIN`,
    or `BEGIN IMMEDIATE` when `begin_writing` asked for it."""
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())
