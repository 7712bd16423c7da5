"""Database engine and sessions; the caller of engine functions owns the transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, ExceptionContext, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from engine.core.dialect import sqlite_begin
from engine.core.settings import SESSION_INFO_KEY, EngineSettings


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine tuned for our use: SQLite with WAL and foreign keys, PostgreSQL pooled."""
    # JSON columns (the register's contents, forms' data) read 3-4 times faster; written as
    # before (the standard library's json, whose output every reader accepts).
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # No ping at each checkout (a round trip per request): a connection found dead by its first
    # statement raises StaleConnection, which the caller may retry on a new one (the pool drops
    # every connection opened before the failure). Recycled after 30 min, before most proxies'
    # and firewalls' idle timeouts. psycopg prepares a statement on a connection from its 5th
    # use on (prepare_threshold): the queries of every action are prepared once per connection.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_engine(url, **kwargs)
    event.listen(engine.pool, "checkout", _fresh)
    event.listen(engine, "after_cursor_execute", _used)
    event.listen(engine, "handle_error", _stale_if_first)
    return engine


class StaleConnection(Exception):
    """The pool handed out a connection the server had closed (restart, failover, idle
    timeout); it failed at its first statement, so nothing of this transaction ran."""


_FRESH = "fresh_from_pool"


def _fresh(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    record.info[_FRESH] = True


def _used(connection: Connection, *_args: Any) -> None:
    connection.info[_FRESH] = False


def _stale_if_first(context: ExceptionContext) -> BaseException | None:
    connection = context.connection
    if context.is_disconnect and connection is not None and connection.info.get(_FRESH):
        return StaleConnection(str(context.original_exception))
    return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions break SAVEPOINT).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(
    engine: Engine, settings: EngineSettings | None = None
) -> sessionmaker[Session]:
    """Sessions on `engine`; each carries `settings` (engine.core.settings.settings_of)."""
    info = {SESSION_INFO_KEY: settings} if settings is not None else {}
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


def default_sqlite_url(instance_path: str | Path) -> str:
    path = Path(instance_path)
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'inventaire.sqlite3'}"
