"""Probes for whoever runs the service: GET /sante (liveness: the process answers, the
database is not touched) and GET /sante/pret (readiness: the database answers and its schema is
at the migrations' head; 503 otherwise, saying which). Short French JSON bodies, never cached.
"""

from __future__ import annotations

import json
import logging
from functools import cache

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from engine.core.migrate import MIGRATIONS_DIR

log = logging.getLogger("inventaire.web.health")
bp = Blueprint("sante", __name__, url_prefix="/sante")


@cache
def expected_revisions() -> frozenset[str]:
    """The migrations' head(s), read once: the code of a running process does not change."""
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def current_revisions(engine: Engine) -> frozenset[str]:
    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


def _answer(body: dict[str, str], status: int) -> tuple[Response, int]:
    # Accents as they are: whoever reads it with curl reads « prêt ».
    text = json.dumps(body, ensure_ascii=False)
    headers = {"Cache-Control": "no-store"}
    return Response(text, mimetype="application/json", headers=headers), status


@bp.get("")
def alive() -> tuple[Response, int]:
    return _answer({"statut": "en service"}, 200)


@bp.get("/pret")
def ready() -> tuple[Response, int]:
    try:
        current = current_revisions(current_app.extensions["db_engine"])
    except SQLAlchemyError as error:
        log.warning("Readiness: the database did not answer (%s)", type(error).__name__)
        return _answer({"statut": "pas prêt", "base": "ne répond pas"}, 503)
    expected = expected_revisions()
    if current != expected:
        found = ", ".join(sorted(current)) or "aucune"
        wanted = ", ".join(sorted(expected))
        return _answer(
            {
                "statut": "pas prêt",
                "base": "répond",
                "migrations": f"base à la révision {found}, le code attend {wanted}\u00a0: "
                "lancez «\u00a0inventaire db upgrade\u00a0»",
            },
            503,
        )
    return _answer({"statut": "prêt", "base": "répond", "migrations": "à jour"}, 200)
