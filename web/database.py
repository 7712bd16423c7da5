"""One SQLAlchemy session per request; the view commits, the teardown rolls back the rest."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from engine.db import make_engine, make_session_factory


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def sessions() -> sessionmaker[Session]:
    factory: sessionmaker[Session] = current_app.extensions["db_sessions"]
    return factory


def db() -> Session:
    if "db_session" not in g:
        g.db_session = sessions()()
    session: Session = g.db_session
    return session


def _close_session(_exception: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
