"""The absences and webhook subscriptions each process keeps in memory follow the database
whoever changes it: here the tests' own connection writes in SQL, as another server process or
an administrator in psql would, and the next page shows the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from engine.core.substitutions import paris_today
from tests.dossiers import user_id
from tests.integration.test_absences import RACHIDA, REMI, in_bannette, instructing, signed_in
from tests.support import Browser


def test_an_absence_written_elsewhere_shows_at_the_next_page(
    browser_factory: Callable[[], Browser], session: Session, db_engine: Engine
) -> None:
    walker = instructing(browser_factory)
    rachida = signed_in(browser_factory, RACHIDA)
    assert in_bannette(rachida, walker.reference) is None  # the absences read, and kept

    today = paris_today()
    with db_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO absence (user_id, suppleant_id, debut, fin, created_at)"
                " VALUES (:user, :suppleant, :debut, :fin, CURRENT_TIMESTAMP)"
            ),
            {
                "user": user_id(session, REMI),
                "suppleant": user_id(session, RACHIDA),
                "debut": today - timedelta(days=1),
                "fin": today + timedelta(days=3),
            },
        )
    assert in_bannette(rachida, walker.reference) is not None  # Rémi's task, for his suppléante

    with db_engine.begin() as connection:
        connection.execute(text("DELETE FROM absence"))
    assert in_bannette(rachida, walker.reference) is None
