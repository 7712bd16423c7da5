"""One SQLAlchemy session per request; the view commits, the teardown rolls back the rest."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from engine.core import dialect
from engine.core.db import make_engine, make_session_factory


def init_app(app: Flask) -> None:
    """The engine and the session factory; every session carries the engine's settings
    (create_app put them in `app.extensions["engine_settings"]`)."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine, app.extensions["engine_settings"])
    app.teardown_appcontext(_close_session)


def sessions() -> sessionmaker[Session]:
    factory: sessionmaker[Session] = current_app.extensions["db_sessions"]
    return factory


def db() -> Session:
    if "db_session" not in g:
        g.db_session = sessions()()
        if request.method not in ("GET", "HEAD"):
            dialect.writing_session(g.db_session)
        g.db_session.info["loaded"] = []
    session: Session = g.db_session
    return session


@event.listens_for(Session, "loaded_as_persistent")
def _keep_loaded(session: Session, instance: object) -> None:
    """Within a request, objects stay in the identity map: a second session.get of the same
    row (task context, then the engine action) is served without a query."""
    loaded = session.info.get("loaded")
    if loaded is not None:
        loaded.append(instance)


def _close_session(_exception: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
