"""Two registers: each entry says whether it belongs to the Inventaire or the Répertoire spécifique

`register_entry.registre`: "inventaire" (the CNCP's former Inventaire, INV numbers and
categories A/B/C) or "rs" (France compétences' Répertoire spécifique, L. 6113-6 code du travail:
RS numbers, no category). Entries imported from France compétences' export are RS fiches; those
our procedures published keep "inventaire". The category the import used to invent for RS fiches
(A for an *enregistrement de droit*, C otherwise) is emptied: an RS entry has none ("").

The search index copies the column so the public search can filter on it: SQLite's triggers of
0005 (as 0008 renamed their columns) are created again with it, PostgreSQL's trigger function
too, and its trigger fires on the new column as well.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TEXT_COLUMNS = "numero, intitule, certificateurs, content"
FACET_COLUMNS = "categorie, statut, autorite_legitime, date_decision, registre"


def _search_0005() -> ModuleType:
    """0005's text helpers (what the SQLite triggers index), reused rather than repeated."""
    path = Path(__file__).with_name("0005_register_search.py")
    spec = importlib.util.spec_from_file_location("migration_0005_register_search", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(
        "ALTER TABLE register_entry ADD COLUMN registre VARCHAR(16) NOT NULL DEFAULT 'inventaire'"
    )
    op.execute(
        "ALTER TABLE register_search ADD COLUMN registre VARCHAR(16) NOT NULL DEFAULT 'inventaire'"
    )
    if postgresql:
        op.execute(_search_sync_function(with_registre=True))
        _postgresql_trigger(FACET_COLUMNS)
    else:
        _sqlite_triggers(with_registre=True)
    op.execute(
        "CREATE INDEX ix_register_search_registre ON register_search (registre, date_decision)"
    )
    # Through the triggers: the search rows follow.
    op.execute("UPDATE register_entry SET registre = 'rs', categorie = '' WHERE source = 'import'")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute("DROP INDEX IF EXISTS ix_register_search_registre")
    if postgresql:
        op.execute(_search_sync_function(with_registre=False))
        _postgresql_trigger(FACET_COLUMNS.removesuffix(", registre"))
    else:
        _sqlite_triggers(with_registre=False)
    # The categories invented before (0009 emptied them) are not made up again: "C" is only a
    # placeholder for the former NOT NULL column's readers.
    op.execute("UPDATE register_entry SET categorie = 'C' WHERE categorie = ''")
    op.execute("ALTER TABLE register_search DROP COLUMN registre")
    op.execute("ALTER TABLE register_entry DROP COLUMN registre")


def _sqlite_triggers(*, with_registre: bool) -> None:
    text = _search_0005()._sqlite_text("new")
    column = ", registre" if with_registre else ""
    value = ", new.registre" if with_registre else ""
    assignment = ", registre = new.registre" if with_registre else ""
    facets = FACET_COLUMNS if with_registre else FACET_COLUMNS.removesuffix(", registre")
    op.execute("DROP TRIGGER IF EXISTS register_search_insert")
    op.execute("DROP TRIGGER IF EXISTS register_search_facets")
    op.execute(
        "CREATE TRIGGER register_search_insert AFTER INSERT ON register_entry BEGIN "
        "INSERT INTO register_search "
        f"(entry_id, categorie, statut, autorite, date_decision{column}) "
        f"VALUES (new.id, new.categorie, new.statut, new.autorite_legitime, new.date_decision"
        f"{value}); {text} END"
    )
    op.execute(
        f"CREATE TRIGGER register_search_facets AFTER UPDATE OF {facets} "
        "ON register_entry BEGIN "
        "UPDATE register_search SET categorie = new.categorie, statut = new.statut, "
        f"autorite = new.autorite_legitime, date_decision = new.date_decision{assignment} "
        "WHERE entry_id = new.id; END"
    )


def _postgresql_trigger(facets: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS register_search_sync ON register_entry")
    op.execute(
        f"CREATE TRIGGER register_search_sync AFTER INSERT OR UPDATE OF {TEXT_COLUMNS}, "
        f"{facets} ON register_entry FOR EACH ROW EXECUTE FUNCTION register_search_sync()"
    )


def _search_sync_function(*, with_registre: bool) -> str:
    """0008's trigger function, copying `registre` too when asked."""
    set_registre = ", registre = NEW.registre" if with_registre else ""
    column = ", registre" if with_registre else ""
    value = ", NEW.registre" if with_registre else ""
    excluded = ", registre = EXCLUDED.registre" if with_registre else ""
    return (
        "CREATE OR REPLACE FUNCTION register_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE found_head tsvector; found_body tsvector; BEGIN "
        # Only the filters changed (a retrait, a fin de validité): the words stay as they are.
        "IF TG_OP = 'UPDATE' AND NEW.numero = OLD.numero AND NEW.intitule = OLD.intitule "
        "  AND NEW.certificateurs::text = OLD.certificateurs::text "
        "  AND NEW.content::text = OLD.content::text THEN "
        "  UPDATE register_search SET categorie = NEW.categorie, statut = NEW.statut, "
        f"    autorite = NEW.autorite_legitime, date_decision = NEW.date_decision{set_registre} "
        "  WHERE entry_id = NEW.id; "
        "  IF FOUND THEN RETURN NULL; END IF; "
        "END IF; "
        "BEGIN "
        "  found_head := register_search_head(NEW.numero, NEW.intitule, NEW.certificateurs); "
        "  found_body := register_search_body(NEW.content); "
        "EXCEPTION WHEN OTHERS THEN "
        "  found_head := register_search_head(NEW.numero, NEW.intitule, NULL); "
        "  found_body := ''::tsvector; "
        "END; "
        "INSERT INTO register_search "
        f"  (entry_id, categorie, statut, autorite, date_decision, head, document{column}) "
        "VALUES (NEW.id, NEW.categorie, NEW.statut, NEW.autorite_legitime, NEW.date_decision, "
        f"  found_head, strip(found_head || found_body){value}) "
        "ON CONFLICT (entry_id) DO UPDATE SET categorie = EXCLUDED.categorie, "
        "  statut = EXCLUDED.statut, autorite = EXCLUDED.autorite, "
        "  date_decision = EXCLUDED.date_decision, head = EXCLUDED.head, "
        f"  document = EXCLUDED.document{excluded}; "
        "RETURN NULL; END $$"
    )
