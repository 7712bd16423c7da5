"""What several test files start from: a certification recensed through HTTP, and the app's
own session factory (the one its requests and its worker use)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from tests.dossiers import SCENARIOS
from tests.support import Browser, text_of
from tests.walk import Walker

NewBrowser = Callable[[], Browser]
FAVORABLE = SCENARIOS["favorable"]


def sessions_of(app: Flask) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = app.extensions["db_sessions"]
    return factory


def recensed(new_browser: NewBrowser) -> tuple[Walker, str]:
    """A dossier walked to Recensée by its users, published by the worker: its walker and its
    register number."""
    walker = Walker(new_browser, FAVORABLE.organisation)
    walker.play(FAVORABLE)
    walker.run_jobs()
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    match = re.search(r"Numéro à l'Inventaire (INV\d{5})", page)
    assert match, page[:2000]
    return walker, match.group(1)
