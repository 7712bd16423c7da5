"""Migration 0008 renames what is stored (docs/glossary.md): every row keeps its values, the
register's search follows, and a downgrade then an upgrade again gives the same database. On
the suite's database kind: a scratch SQLite file, or a scratch schema of the PostgreSQL one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, TextClause, bindparam, select, text

from engine.core.db import make_engine, make_session_factory
from engine.core.migrate import alembic_config, upgrade
from engine.core.models import Instance, Job, RegisterEntry, UtcDateTime
from engine.register import search as register_search

BEFORE = "0007"
DECIDED = datetime(2024, 3, 14, 12, tzinfo=UTC)


@pytest.fixture
def scratch(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the suite's kind, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        engine = make_engine(f"sqlite:///{tmp_path / 'renames.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = f"migration_0008_{os.getpid()}"
    server = make_engine(database_url)
    with server.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(database_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with server.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        server.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def moments(sql: str, *names: str) -> TextClause:
    """A statement whose parameters `names` are written as the models write a moment."""
    return text(sql).bindparams(*(bindparam(name, type_=UtcDateTime()) for name in names))


def fill_before(engine: Engine) -> None:
    """Rows as the application wrote them before 0008: former columns and values."""
    with engine.begin() as connection:
        connection.execute(
            moments(
                "INSERT INTO register_entry (id, numero, intitule, categorie, certificateurs, "
                "content, decision_at, start_at, end_at, status, status_changed_at, "
                "withdrawal_reason, previous_numero, previous_id, source, created_at, updated_at) "
                "VALUES (:id, :numero, :intitule, 'A', '{}', '{}', :decided, :decided, :ended, "
                ":status, :decided, :reason, :previous_numero, :previous_id, 'import', "
                ":decided, :decided)",
                "decided",
                "ended",
            ),
            [
                {
                    "id": 1,
                    "numero": "RS100",
                    "intitule": "Habilitation électrique",
                    "decided": DECIDED,
                    "ended": DECIDED.replace(year=2026),
                    "status": "expired",
                    "reason": None,
                    "previous_numero": None,
                    "previous_id": None,
                },
                {
                    "id": 2,
                    "numero": "RS200",
                    "intitule": "Conduite d'engins",
                    "decided": DECIDED,
                    "ended": DECIDED.replace(year=2030),
                    "status": "withdrawn",
                    "reason": "Compétence plus exigée.",
                    "previous_numero": "RS100",
                    "previous_id": 1,
                },
            ],
        )
        connection.execute(
            moments(
                "INSERT INTO job (kind, label, idempotency_key, run_at, attempts, status, "
                "created_at) VALUES (:kind, 'essai', :kind, :at, 0, 'pending', :at)",
                "at",
            ),
            [{"kind": kind, "at": DECIDED} for kind in ("minuterie", "courriel", "retrait")],
        )
        connection.execute(
            moments(
                "INSERT INTO process_version (id, key, version, title, content_hash, files, "
                "spec, status, deployed_at) "
                "VALUES (1, 'essai', 1, 'Essai', '', '{}', '{}', 'active', :at)",
                "at",
            ),
            {"at": DECIDED},
        )
        connection.execute(
            moments(
                "INSERT INTO instance (process_version_id, status, status_label, title, state, "
                "state_format, lock_version, deposited_at, created_at, updated_at) "
                "VALUES (1, 'running', 'Déposée', 'Essai', '', 1, 1, :at, :at, :at)",
                "at",
            ),
            {"at": DECIDED},
        )


def check_renamed(engine: Engine) -> None:
    """At head: the same rows under the new names and values, found by the search."""
    with make_session_factory(engine)() as session:
        entries = {entry.numero: entry for entry in session.scalars(select(RegisterEntry))}
        assert entries["RS100"].statut == "echue"
        renewal = entries["RS200"]
        assert (renewal.statut, renewal.motif_retrait) == ("retiree", "Compétence plus exigée.")
        assert (renewal.numero_precedent, renewal.precedente_id) == ("RS100", 1)
        assert renewal.date_decision == renewal.debut_validite == renewal.statut_change_le
        assert renewal.date_decision == DECIDED
        assert renewal.fin_validite == DECIDED.replace(year=2030)
        assert sorted(session.scalars(select(Job.kind))) == ["email", "retrait", "timer"]
        assert session.scalar(select(Instance.date_depot)) == DECIDED

        def found(query: str, **filters: str) -> list[str]:
            result = register_search.search(session, query, **filters)
            return [hit.numero for hit in result.items]

        assert found("electrique", statut="echue") == ["RS100"]
        assert found("", statut="retiree") == ["RS200"]
        assert found("engins", statut="active") == []
        # The triggers still follow a change of statut.
        renewal.statut = "active"
        session.commit()
        assert found("engins", statut="active") == ["RS200"]
        renewal.statut = "retiree"
        session.commit()


def test_upgrade_downgrade_upgrade_keeps_every_row_and_the_search(scratch: Engine) -> None:
    upgrade(scratch, BEFORE)
    fill_before(scratch)
    upgrade(scratch)
    check_renamed(scratch)

    downgrade(scratch, BEFORE)
    with scratch.begin() as connection:
        rows = connection.execute(
            text(
                "SELECT numero, status, withdrawal_reason, previous_numero, previous_id, "
                "decision_at FROM register_entry ORDER BY numero"
            )
        ).all()
        assert [row[:5] for row in rows] == [
            ("RS100", "expired", None, None, None),
            ("RS200", "withdrawn", "Compétence plus exigée.", "RS100", 1),
        ]
        kinds = connection.scalars(text("SELECT kind FROM job ORDER BY kind")).all()
        assert kinds == ["courriel", "minuterie", "retrait"]
        assert connection.scalar(text("SELECT count(deposited_at) FROM instance")) == 1
        # The former triggers work again: a change of status reaches the search index.
        connection.execute(text("UPDATE register_entry SET status = 'active' WHERE id = 1"))
        statuses = connection.scalars(text("SELECT status FROM register_search ORDER BY entry_id"))
        assert list(statuses) == ["active", "withdrawn"]
        connection.execute(text("UPDATE register_entry SET status = 'expired' WHERE id = 1"))

    upgrade(scratch)
    check_renamed(scratch)
