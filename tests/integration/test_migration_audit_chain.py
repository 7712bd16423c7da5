"""Migration 0018: the events already in the trail are linked into their chains (global and per
dossier) in the order of their ids, as the linker would have, and the checker finds them whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from engine.core.audit_verify import verify
from engine.core.db import make_session_factory
from engine.core.migrate import upgrade
from tests.integration.test_migration_domain_words import downgrade, moments, scratch
from tests.integration.test_migration_dossier_contact import fill_0009

__all__ = ["scratch"]  # the fixture, used by name
AT = datetime(2026, 3, 14, 12, 0, 0, 123456, tzinfo=UTC)


def test_existing_events_are_linked_and_verify_whole(scratch: Engine) -> None:
    upgrade(scratch, "0009")
    fill_0009(scratch)
    upgrade(scratch, "0017")
    events = [
        (1, 1, "depot", "Demande déposée", '{"intitule": "Œnologie «\u00a0bio\u00a0»"}'),
        (2, None, "compte", "Compte créé", None),
        (3, 2, "depot", "Demande déposée", '{"n": 1.5, "liste": [1, "a"]}'),
        (4, 1, "recevabilite", "Recevable", "{}"),
    ]
    with scratch.begin() as connection:
        connection.execute(
            moments(
                "INSERT INTO audit_event (id, instance_id, at, kind, summary, details) "
                "VALUES (:id, :instance, :at, :kind, :summary, :details)",
                "at",
            ),
            [
                {
                    "id": number,
                    "instance": dossier,
                    "at": AT + timedelta(minutes=number),
                    "kind": kind,
                    "summary": summary,
                    "details": details,
                }
                for number, dossier, kind, summary, details in events
            ],
        )
    upgrade(scratch)
    with scratch.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, chain_seq, prev_hash, prev_dossier_hash, hash FROM audit_event "
                "ORDER BY id"
            )
        ).all()
    hashes = {row[0]: row[4] for row in rows}
    assert [row[1] for row in rows] == [1, 2, 3, 4]
    assert [row[2] for row in rows] == [None, hashes[1], hashes[2], hashes[3]]
    # Dossier 1's chain skips the events of others.
    assert [row[3] for row in rows] == [None, None, None, hashes[1]]
    with make_session_factory(scratch)() as session:
        report = verify(session, "")
    assert report.ok and report.linked == 4 and report.pending == 0

    downgrade(scratch, "0017")
    with scratch.connect() as connection:
        columns = connection.execute(text("SELECT * FROM audit_event")).keys()
    assert "hash" not in columns
