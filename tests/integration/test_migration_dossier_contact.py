"""Migration 0010: each dossier keeps its latest contact address, copied from its submissions
(the letters to the submitter's side read it there instead of every submission)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from engine.core.migrate import upgrade
from tests.integration.test_migration_domain_words import downgrade, moments, scratch

__all__ = ["scratch"]  # the fixture, used by name
AT = datetime(2026, 3, 14, 12, tzinfo=UTC)


def fill_0009(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            moments(
                "INSERT INTO process_version (id, key, version, title, content_hash, files, "
                "spec, status, deployed_at) VALUES (1, 'recensement', 1, 'Recensement', 'h', "
                "'{}', '{}', 'active', :at)",
                "at",
            ),
            {"at": AT},
        )
        connection.execute(
            moments(
                "INSERT INTO instance (id, process_version_id, status, status_label, title, "
                "state, state_format, lock_version, created_at, updated_at) "
                "VALUES (:id, 1, 'running', 'Déposée', '', '', 1, 1, :at, :at)",
                "at",
            ),
            [{"id": number, "at": AT} for number in (1, 2, 3)],
        )
        connection.execute(
            moments(
                "INSERT INTO submission (instance_id, task_spec, task_title, form, data, "
                "submitted_at) VALUES (:instance, 't', 'T', 'f', :data, :at)",
                "at",
            ),
            [
                {"instance": 1, "data": '{"contact_courriel": "premier@example.org"}', "at": AT},
                {"instance": 1, "data": '{"reponse": "voici"}', "at": AT},
                {"instance": 1, "data": '{"contact_courriel": " second@example.org "}', "at": AT},
                {"instance": 2, "data": '{"contact_courriel": "pas une adresse"}', "at": AT},
                {"instance": 3, "data": '{"intitule": "sans contact"}', "at": AT},
            ],
        )


def test_the_latest_contact_filed_is_kept_on_the_dossier(scratch: Engine) -> None:
    upgrade(scratch, "0009")
    fill_0009(scratch)
    upgrade(scratch)
    with scratch.connect() as connection:
        kept = dict(connection.execute(text("SELECT id, contact_courriel FROM instance")).all())
    assert kept == {1: "second@example.org", 2: None, 3: None}
    downgrade(scratch, "0009")
    with scratch.connect() as connection:
        columns = connection.execute(text("SELECT * FROM instance")).keys()
    assert "contact_courriel" not in columns
