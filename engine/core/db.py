"""Database engine and sessions; the caller of engine functions owns the transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
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
    return create_engine(url, pool_pre_ping=True, **kwargs)


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
