"""While another operation holds the database (SQLite's write lock), a command that writes
says it waits, tries again, and past `INVENTAIRE_LOCK_WAIT` seconds stops with a French
sentence and exit code EXIT_BUSY, having written nothing."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

T = TypeVar("T")

BUSY_MESSAGE = (
    "La base de données est occupée par une autre opération\u202f; réessayez dans un instant."
)
# sysexits' EX_TEMPFAIL: a script may try again later.
EXIT_BUSY = 75
# How long a writing command tries again while SQLite's write lock is held elsewhere.
DEFAULT_LOCK_WAIT_SECONDS = 10.0
# SQLite waits this long for the lock at each try, so that the command can say it waits.
BUSY_TIMEOUT_MS = 250
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# PostgreSQL's advisory lock taken while a server prepares the database at its start (any
# number: it only has to be the same for every host; "inv" in ASCII).
STARTING_LOCK = 0x696E76


def wait_briefly(engine: Engine) -> None:
    """On SQLite, each try waits briefly for the lock (the retries of `while_locked` do the
    rest)."""
    if engine.dialect.name == "sqlite":
        # First of the connect listeners: switching to WAL may itself wait for the lock.
        event.listen(engine, "connect", _short_busy_timeout, insert=True)


def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.close()


def _lock_wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("INVENTAIRE_LOCK_WAIT", DEFAULT_LOCK_WAIT_SECONDS)))
    except ValueError:
        return DEFAULT_LOCK_WAIT_SECONDS


def is_locked(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "database is locked" in str(error.orig)


def while_locked(action: Callable[[], T]) -> T:
    """Run `action` (whole transactions, rolled back on failure), again while the database is
    locked by another operation; past the wait, say so in French and exit with EXIT_BUSY."""
    deadline = time.monotonic() + _lock_wait_seconds()
    pause = 0.1
    told = False
    while True:
        try:
            return action()
        except OperationalError as error:
            if not is_locked(error):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                click.echo(BUSY_MESSAGE, err=True)
                sys.exit(EXIT_BUSY)
            if not told:
                click.echo("La base de données est occupée\u00a0: nouvel essai…", err=True)
                told = True
            time.sleep(min(pause, left))
            pause = min(pause * 2, 1.0)


@contextmanager
def one_start_at_a_time(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, servers starting together on several hosts prepare the database one
    after the other (migrations, deployments): a session advisory lock, on a connection of its
    own outside any transaction. SQLite's write lock already does that (`while_locked`)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTING_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTING_LOCK})
