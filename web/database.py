"""One SQLAlchemy session per request; the view commits, the teardown rolls back the rest."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from engine.core import dialect
from engine.core.db import StaleConnection, make_engine, make_session_factory
from web.errors import error_page

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """The engine and the session factory; every session carries the engine's settings
    (create_app put them in `app.extensions["engine_settings"]`)."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine, app.extensions["engine_settings"])
    app.teardown_appcontext(_close_session)
    app.register_error_handler(StaleConnection, _retry_once)


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


@event.listens_for(Session, "after_commit")
def _mark_committed(session: Session) -> None:
    if "loaded" in session.info:  # a request's session
        session.info["committed"] = True


def _retry_once(error: StaleConnection) -> ResponseReturnValue:
    """The database connection was dead before the request did anything (a server restart):
    run the request again, once, on a fresh connection. Once something was committed, or on
    the second failure, the user is told to try again instead."""
    session: Session | None = g.pop("db_session", None)
    committed = session is not None and session.info.get("committed", False)
    if session is not None:
        session.close()
    if committed or g.get("db_retried"):
        from web.api.problems import is_api_request, problem_response

        log.warning("Database unreachable on %s %s: %s", request.method, request.path, error)
        return problem_response(503) if is_api_request() else error_page(503)
    g.db_retried = True
    try:
        return current_app.preprocess_request() or current_app.dispatch_request()
    except Exception as again:  # the retried request's own errors, answered as usual
        return current_app.handle_user_exception(again)


def _close_session(_exception: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
