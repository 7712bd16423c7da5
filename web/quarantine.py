"""The incidents of the uploads the antivirus refused (engine/core/quarantine.py), written once
the request is over: its own transaction may be rolled back (the form is given back with the
refusal) and, on SQLite, holds the write lock until its end."""

from __future__ import annotations

import logging

from flask import Flask, g
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from engine.core import dialect, quarantine
from engine.core.quarantine import Incident
from web.database import sessions

log = logging.getLogger("inventaire.antivirus")


def init_app(app: Flask) -> None:
    app.after_request(_schedule)


def incidents() -> list[Incident]:
    """This request's list, that the pieces' store fills (web/formdata.py)."""
    found: list[Incident] = g.setdefault("quarantine_incidents", [])
    return found


def _schedule(response: Response) -> Response:
    pending: list[Incident] = list(g.get("quarantine_incidents") or [])
    if pending:
        factory = sessions()
        response.call_on_close(lambda: record(factory, pending))
    return response


def record(factory: sessionmaker[Session], pending: list[Incident]) -> None:
    """Each incident's row and audit event, in one transaction of their own."""
    try:
        with factory() as writer:
            dialect.begin_writing(writer)
            for incident in pending:
                quarantine.record(writer, incident)
            writer.commit()
    except OperationalError:
        # The file is in the quarantine folder and the log names it: only the row is lost.
        log.error("Quarantine incidents not recorded: %r", pending, exc_info=True)
