"""Fresh databases for the bench: SQLite in a temporary folder, PostgreSQL in a `bench` database.

The PostgreSQL database is emptied the way tests/conftest.py does it (drop and recreate the
`public` schema), then migrated with the project's own migrations. The database named `test`
(used by the test suite) is never touched: a URL naming it is redirected to `bench`.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from sqlalchemy import Engine, text

from engine.core.db import make_engine
from engine.core.migrate import upgrade

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/bench"
BENCH_DB = "bench"
PROTECTED = {"test", "postgres", "template0", "template1"}


def postgres_url() -> tuple[str | None, str]:
    """(URL of the bench's PostgreSQL database or None, why): BENCH_DATABASE_URL, else the
    server of TEST_DATABASE_URL with the `bench` database; `auto` means the local default."""
    bench = os.environ.get("BENCH_DATABASE_URL", "").strip()
    test = os.environ.get("TEST_DATABASE_URL", "").strip()
    if bench.lower() == "auto":
        return DEFAULT_PG_URL, "BENCH_DATABASE_URL=auto"
    if bench:
        return _not_protected(bench), "BENCH_DATABASE_URL"
    if test.startswith("postgresql"):
        return _with_database(test, BENCH_DB), "server of TEST_DATABASE_URL, database bench"
    return None, "no BENCH_DATABASE_URL"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _not_protected(url: str) -> str:
    if _database_of(url) in PROTECTED:
        return _with_database(url, BENCH_DB)
    return url


def _libpq_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


def postgres_unreachable(url: str) -> str | None:
    """Why the PostgreSQL server of `url` cannot be reached (None when it can)."""
    admin = _with_database(_libpq_url(url), "postgres")
    try:
        with psycopg.connect(admin, connect_timeout=5):
            return None
    except psycopg.OperationalError as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else "connection failed"


def ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (through the server's `postgres` database)."""
    name = _database_of(url)
    admin = _with_database(_libpq_url(url), "postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def fresh_sqlite(folder: Path) -> str:
    """The URL of a new SQLite file in `folder` (a previous one is removed)."""
    path = folder / "bench.sqlite3"
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_engine(url: str) -> Engine:
    """An empty, migrated database at `url` and an engine on it."""
    if url.startswith("postgresql"):
        name = _database_of(url)
        if name in PROTECTED:
            raise SystemExit(f"bench: refusing to empty the database « {name} ».")
        ensure_postgres_database(url)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def analyze(engine: Engine) -> None:
    """Planner statistics after a bulk load, as autovacuum would gather them (PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("VACUUM ANALYZE instance"))
        connection.execute(text("VACUUM ANALYZE work_item"))


def describe(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return "SQLite (fresh file in a temporary folder)"
    host = parts.hostname or "localhost"
    return f"PostgreSQL {host}:{parts.port or 5432}/{_database_of(url)}"
