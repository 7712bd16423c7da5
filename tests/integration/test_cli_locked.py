"""The commands that write wait while another operation holds SQLite's write lock, then say so in
French (exit code 75, never a traceback); a lock released in time lets them finish."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core.db import make_engine, make_session_factory
from engine.core.migrate import upgrade
from engine.core.models import ProcessVersion

ROOT = Path(__file__).resolve().parents[2]
RECENSEMENT = ROOT / "processes" / "recensement"
SAMPLE = ROOT / "data" / "rs-open-data-sample.xml"
BUSY = "La base de données est occupée par une autre opération\u202f; réessayez dans un instant."
WAITING = "La base de données est occupée\u00a0: nouvel essai"
EXIT_BUSY = 75
NEVER = 300  # seconds: only a bound for a command that would hang, never asserted


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "inventaire.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def environment(database: Path, wait_seconds: int) -> dict[str, str]:
    return {
        **os.environ,
        "INVENTAIRE_DATABASE_URL": f"sqlite:///{database}",
        "INVENTAIRE_SECRET_KEY": "test",
        "INVENTAIRE_UPLOAD_DIR": str(database.parent / "pieces"),
        "INVENTAIRE_LOCK_WAIT": str(wait_seconds),
    }


def start(database: Path, wait_seconds: int, *args: str) -> subprocess.Popen[str]:
    """`inventaire ARGS` in its own process, as an operator runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "web.cli", *args],
        cwd=ROOT,
        env=environment(database, wait_seconds),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def write_lock(database: Path) -> Iterator[sqlite3.Connection]:
    """Another operation holding the database's write lock until the block ends."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield connection
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def versions(database: Path) -> int:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count(ProcessVersion.id))) or 0
    finally:
        engine.dispose()


COMMANDS = [
    ("processes", "deploy", str(RECENSEMENT)),
    ("register", "import", str(SAMPLE)),
    ("demo",),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args[:2]))
def test_a_command_that_cannot_write_says_so_in_french(database: Path, args: tuple[str]) -> None:
    with write_lock(database):
        command = start(database, 1, *args)
        out, err = command.communicate(timeout=NEVER)
    assert command.returncode == EXIT_BUSY, (out, err)
    assert BUSY in err
    assert "Traceback" not in out + err
    assert versions(database) == 0  # nothing written


def test_db_upgrade_of_a_new_database_waits_then_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "neuve.sqlite3"
    with write_lock(empty):
        command = start(empty, 1, "db", "upgrade")
        out, err = command.communicate(timeout=NEVER)
    assert command.returncode == EXIT_BUSY, (out, err)
    assert BUSY in err
    assert "Traceback" not in out + err
    upgraded = start(empty, 1, "db", "upgrade")
    assert upgraded.communicate(timeout=NEVER)[0] == "Base de données à jour.\n"
    assert upgraded.returncode == 0


def test_a_lock_released_in_time_lets_the_deploy_finish(database: Path) -> None:
    with write_lock(database):
        command = start(database, NEVER, "processes", "deploy", str(RECENSEMENT))
        assert command.stderr is not None
        # The command says it waits; then the other operation ends.
        for line in iter(command.stderr.readline, ""):
            if WAITING in line:
                break
        else:
            pytest.fail("the command did not say it waits for the database")
    out, err = command.communicate(timeout=NEVER)
    assert command.returncode == 0, (out, err)
    assert out == "«\u00a0recensement\u00a0» déployé en version 1.\n"
    assert versions(database) == 1
