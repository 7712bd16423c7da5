"""Migration 0009: each entry says its register. Imported fiches become Répertoire spécifique
entries and lose the category the import had invented; the procedure's entries stay in the
Inventaire with theirs; the search index filters on the register, and follows it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select, text

from engine.core.db import make_session_factory
from engine.core.migrate import upgrade
from engine.core.models import RegisterEntry
from engine.register import search as register_search
from tests.integration.test_migration_domain_words import downgrade, moments, scratch

__all__ = ["scratch"]  # the fixture, used by name
DECIDED = datetime(2024, 3, 14, 12, tzinfo=UTC)


def fill_0008(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            moments(
                "INSERT INTO register_entry (numero, intitule, categorie, certificateurs, "
                "content, date_decision, statut, source, created_at, updated_at) "
                "VALUES (:numero, :intitule, :categorie, '{}', '{}', :decided, 'active', "
                ":source, :decided, :decided)",
                "decided",
            ),
            [
                {
                    "numero": "RS5719",
                    "intitule": "Premiers secours en équipe",
                    "categorie": "A",
                    "source": "import",
                    "decided": DECIDED,
                },
                {
                    "numero": "INV00001",
                    "intitule": "Habilitation électrique",
                    "categorie": "B",
                    "source": "inventaire",
                    "decided": DECIDED,
                },
            ],
        )


def test_imported_entries_become_rs_without_category(scratch: Engine) -> None:
    upgrade(scratch, "0008")
    fill_0008(scratch)
    upgrade(scratch)
    with make_session_factory(scratch)() as session:
        entries = {entry.numero: entry for entry in session.scalars(select(RegisterEntry))}
        assert (entries["RS5719"].registre, entries["RS5719"].categorie) == ("rs", "")
        assert (entries["INV00001"].registre, entries["INV00001"].categorie) == ("inventaire", "B")

        def found(query: str, registre: str) -> list[str]:
            return [
                hit.numero
                for hit in register_search.search(session, query, registre=registre).items
            ]

        assert found("", "rs") == ["RS5719"]
        assert found("secours", "rs") == ["RS5719"]
        assert found("secours", "inventaire") == []
        assert found("", "inventaire") == ["INV00001"]
        # A new entry and a change of register reach the index through the triggers.
        session.add(
            RegisterEntry(
                numero="RS90001",
                intitule="Sauveteur secouriste portuaire",
                categorie="",
                registre="rs",
                certificateurs={},
                content={},
            )
        )
        entries["INV00001"].registre = "rs"
        session.commit()
        assert found("", "inventaire") == []
        assert set(found("", "rs")) == {"RS5719", "RS90001", "INV00001"}
        entries["INV00001"].registre = "inventaire"
        session.commit()

    downgrade(scratch, "0008")
    with scratch.begin() as connection:
        columns = connection.execute(text("SELECT * FROM register_entry")).keys()
        assert "registre" not in columns
        # The former triggers still index a new entry.
        connection.execute(
            text(
                "INSERT INTO register_entry (numero, intitule, categorie, certificateurs, "
                "content, statut, source, created_at, updated_at) VALUES ('INV00002', 'Essai', "
                "'C', '{}', '{}', 'active', 'inventaire', '2024-01-01', '2024-01-01')"
            )
        )
        assert connection.scalar(text("SELECT count(*) FROM register_search")) == 4
    upgrade(scratch)
