"""Replay scenarios against a model's files in a throwaway database (CLI and studio)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from engine.core.db import make_engine, make_session_factory
from engine.core.errors import InventaireError
from engine.core.migrate import upgrade
from engine.definitions.deployment import deploy
from engine.studio import demo
from engine.studio.scenario import Scenario, ScenarioResult
from engine.studio.scenario import run as run_scenario
from engine.workflow import documents


def replay(files: dict[str, str], scenarios: list[Scenario]) -> list[ScenarioResult]:
    """Each scenario in its own transaction, rolled back; ProcessModelError if not deployable."""
    with tempfile.TemporaryDirectory(prefix="inventaire-scenarios-") as workdir:
        engine = make_engine(f"sqlite:///{workdir}/scenarios.sqlite3")
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            store = documents.DocumentStore(Path(workdir) / "pieces")
            with factory() as session:
                organisations = demo.create_accounts(session)
                deploy(session, files)
                session.commit()
            results = []
            for scenario in scenarios:
                with factory() as session:
                    try:
                        results.append(run_scenario(session, store, scenario, organisations))
                    except InventaireError as error:
                        results.append(ScenarioResult(scenario, False, error.user_message))
                    session.rollback()
            return results
        finally:
            engine.dispose()
