"""What the commands share: the application they run in (its database, its settings), the
sessions they open and the document store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine.core import dialect
from engine.core.migrate import upgrade
from engine.core.settings import EngineSettings
from engine.workflow import documents
from web.cli.locking import wait_briefly, while_locked


def make_app() -> Flask:
    from web import create_app

    return create_app()


@contextmanager
def opened_app(*, writing: bool = False) -> Iterator[Flask]:
    """The app of a command, its database connections closed at the end; one that writes
    waits briefly for SQLite's lock at each try (`while_locked` tries again)."""
    app = make_app()
    if writing:
        wait_briefly(database(app))
    try:
        yield app
    finally:
        database(app).dispose()


def database(app: Flask) -> Engine:
    engine: Engine = app.extensions["db_engine"]
    return engine


def upgraded(app: Flask) -> None:
    """The app's database migrated to head (again while another operation holds it)."""
    while_locked(lambda: upgrade(database(app)))


def open_session(app: Flask) -> Session:
    factory = app.extensions["db_sessions"]
    session: Session = factory()
    return session


def begin_writing(session: Session) -> Session:
    """On SQLite, the session's transaction takes the write lock first: nothing is done (no
    file written, no spec built) before the lock is ours."""
    return dialect.begin_writing(session)


def document_store(app: Flask) -> documents.DocumentStore:
    settings: EngineSettings = app.extensions["engine_settings"]
    return documents.DocumentStore(
        Path(app.config["UPLOAD_DIR"]), settings.max_piece_bytes, settings.antivirus
    )
