"""Shared fixtures: a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), the app,
demo accounts created once, and a clean slate of dossiers for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from engine.core.db import make_engine, make_session_factory
from engine.core.migrate import upgrade
from engine.core.models import Base, ProcessDraft
from engine.definitions import definition, deployment
from engine.studio import demo
from tests.support import Browser

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
# Tables emptied before each test; accounts, organisations and process versions stay. The
# sign-in counters and sessions go too: a test that locks an account leaves it usable after.
DOSSIER_TABLES = (
    "quarantined_file",
    "api_idempotency_key",
    "api_token",
    "absence",
    "inscription",
    "seance",
    "login_throttle",
    "user_session",
    "totp_enrolment",
    "recovery_code",
    "saved_view",
    "export_file",
    "email",
    "webhook_delivery",
    "webhook_subscription",
    "job",
    "register_entry",
    "message_read",
    "message_piece",
    "message",
    "annotation_piece",
    "annotation",
    "avis_expert_piece",
    "invitation_expert",
    "document",
    "submission",
    "audit_seal",
    "audit_event",
    "work_item",
    "dossier_search",
    "instance",
    "counter",
)


def _reset_database(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    _reset_database(engine)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        demo.create_accounts(session)
        for folder in ("recensement", "retrait", "enregistrement-rs", "retrait-rs"):
            deployment.deploy(session, definition.read_folder(PROCESSES / folder))
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def upload_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pieces")


@pytest.fixture(scope="session")
def app(db_engine: Engine, database_url: str, upload_dir: Path) -> Iterator[Flask]:
    from web import create_app

    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "UPLOAD_DIR": str(upload_dir),
            "MAX_UPLOAD_BYTES": 2 * 1024 * 1024,
            "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        }
    )
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture(autouse=True)
def clean_dossiers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the database starts without dossiers."""
    if "db_engine" not in request.fixturenames and "app" not in request.fixturenames:
        yield
        return
    engine: Engine = request.getfixturevalue("db_engine")
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(f"TRUNCATE {', '.join(DOSSIER_TABLES)} RESTART IDENTITY CASCADE")
            )
        else:
            for table in DOSSIER_TABLES:
                connection.execute(text(f"DELETE FROM {table}"))
            # The dossiers' words (FTS5: a table of SQLite's own, no foreign key).
            connection.execute(text("DELETE FROM dossier_search_text"))
    if "app" in request.fixturenames:
        # The API's rate limits count per process: one test's calls never spend another's.
        from web.api.access import reset_limits

        reset_limits(request.getfixturevalue("app"))
    yield


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(db_engine)
    with factory() as db_session:
        yield db_session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def browser(app: Flask) -> Browser:
    """A user's browser on the app (test client + CSRF + login helpers)."""
    return Browser(app.test_client())


@pytest.fixture
def browser_factory(app: Flask):  # type: ignore[no-untyped-def]
    return lambda: Browser(app.test_client())


@pytest.fixture
def restore(session: Session) -> Iterator[None]:
    """For tests that deploy or draft a recensement of their own: put the folder's back after."""
    yield
    session.rollback()
    session.query(ProcessDraft).delete()
    deployment.deploy(session, definition.read_folder(PROCESSES / "recensement"))
    session.commit()
