"""Full-text search of the public register, kept in sync by triggers

SQLite: an FTS5 table `register_search` (rowid = register_entry.id; unicode61 with
remove_diacritics 2, so "electricite" finds "Électricité").
PostgreSQL: a table `register_search` (entry_id, document tsvector) with a GIN index; the
document holds French stems (accented and unaccented text) and the unaccented words themselves
(for prefix matching of the last word typed).

Triggers on register_entry fill it: every writer (publication, import, withdrawal, a bulk
INSERT) is covered without calling anything. Indexed: the number, the title, the certifiers'
names and SIRET, the competences (content keys listed in CONTENT_KEYS).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 05:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Competence-like keys of register_entry.content: the procedure's competences, which imported
# fiches also fill from CAPACITES_ATTESTEES (engine/opendata/fiche.py), and their ACTIVITES_VISEES.
CONTENT_KEYS = ("competences_attestees", "activites_visees")
# Columns whose change re-indexes an entry (a status change alone does not).
INDEXED_COLUMNS = "numero, intitule, certificateurs, content"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS register_search_sync ON register_entry")
        op.execute("DROP TABLE IF EXISTS register_search")
        op.execute("DROP FUNCTION IF EXISTS register_search_sync()")
        op.execute("DROP FUNCTION IF EXISTS register_search_document(text, text, json, json)")
        op.execute("DROP FUNCTION IF EXISTS register_search_strings(json)")
        op.execute("DROP FUNCTION IF EXISTS register_search_words(text)")
        op.execute("DROP FUNCTION IF EXISTS register_search_unaccent(text)")
    else:
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS register_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS register_search")


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_certifiers(row: str) -> str:
    # json_each tolerates a missing key; the CASEs keep a malformed value from failing the
    # writer's INSERT (json_extract raises on text that is not JSON).
    return f"""(SELECT group_concat(
            CASE c.type
              WHEN 'object' THEN coalesce(json_extract(c.value, '$.nom'), '') || ' '
                                 || coalesce(json_extract(c.value, '$.siret'), '')
              WHEN 'text' THEN c.value
              ELSE ''
            END, ' ')
          FROM json_each(CASE WHEN json_valid({row}.certificateurs)
                              THEN {row}.certificateurs ELSE '{{}}' END,
                         '$.certificateurs') AS c)"""


def _sqlite_competences(row: str) -> str:
    # Every string under each key: a text, a list of texts or of mappings (json_tree decodes
    # the \uXXXX escapes that json.dumps writes for accented letters).
    valid = f"CASE WHEN json_valid({row}.content) THEN {row}.content ELSE '{{}}' END"
    parts = [
        f"coalesce((SELECT group_concat(t.value, ' ') FROM json_tree({valid}, '$.{key}') AS t "
        "WHERE t.type = 'text'), '')"
        for key in CONTENT_KEYS
    ]
    return " || ' ' || ".join(parts)


def _sqlite_insert(row: str) -> str:
    return (
        "INSERT INTO register_search (rowid, numero, intitule, certificateurs, competences) "
        f"VALUES ({row}.id, {row}.numero, {row}.intitule, "
        f"coalesce({_sqlite_certifiers(row)}, ''), {_sqlite_competences(row)});"
    )


def _upgrade_sqlite() -> None:
    # A leftover from a database whose tables were dropped without it (tests/conftest.py's
    # drop_all on a reused file) would collide with the new rows' ids.
    op.execute("DROP TABLE IF EXISTS register_search")
    op.execute(
        "CREATE VIRTUAL TABLE register_search USING fts5("
        "numero, intitule, certificateurs, competences, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER register_search_insert AFTER INSERT ON register_entry BEGIN "
        f"{_sqlite_insert('new')} END"
    )
    op.execute(
        f"CREATE TRIGGER register_search_update AFTER UPDATE OF {INDEXED_COLUMNS} "
        "ON register_entry BEGIN "
        "DELETE FROM register_search WHERE rowid = old.id; "
        f"{_sqlite_insert('new')} END"
    )
    op.execute(
        "CREATE TRIGGER register_search_delete AFTER DELETE ON register_entry BEGIN "
        "DELETE FROM register_search WHERE rowid = old.id; END"
    )
    op.execute(
        "INSERT INTO register_search (rowid, numero, intitule, certificateurs, competences) "
        f"SELECT e.id, e.numero, e.intitule, coalesce({_sqlite_certifiers('e')}, ''), "
        f"{_sqlite_competences('e')} FROM register_entry AS e"
    )


# --- PostgreSQL --------------------------------------------------------------------------

ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyy"


def _upgrade_postgresql() -> None:
    # Lower case without accents; the search queries go through the same function, so both
    # sides agree whatever the letters.
    op.execute(
        "CREATE FUNCTION register_search_unaccent(value text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        f"SELECT translate(lower(coalesce(value, '')), '{ACCENTED}', '{PLAIN}') $$"
    )
    # French stems of the text as written (the stemmer knows "-ité", "-é") and without accents
    # (what a visitor types), and the unaccented words for prefix matching.
    op.execute(
        "CREATE FUNCTION register_search_words(value text) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        "SELECT to_tsvector('french'::regconfig, lower(coalesce(value, ''))) "
        "|| to_tsvector('french'::regconfig, register_search_unaccent(value)) "
        "|| to_tsvector('simple'::regconfig, register_search_unaccent(value)) $$"
    )
    # Every string of a JSON value (a text, a list of texts or of mappings), escapes decoded.
    op.execute(
        "CREATE FUNCTION register_search_strings(value json) RETURNS text "
        "LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$ BEGIN RETURN CASE json_typeof(value) "
        "WHEN 'string' THEN value #>> '{}' "
        "WHEN 'array' THEN (SELECT string_agg(register_search_strings(item), ' ') "
        "  FROM json_array_elements(value) AS item) "
        "WHEN 'object' THEN (SELECT string_agg(register_search_strings(item.value), ' ') "
        "  FROM json_each(value) AS item) "
        "ELSE '' END; END $$"
    )
    competences = ", ".join(f"register_search_strings(content -> '{key}')" for key in CONTENT_KEYS)
    # json_typeof guards json_array_elements, which raises on anything but an array.
    op.execute(
        "CREATE FUNCTION register_search_document("
        "numero text, intitule text, certificateurs json, content json) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
        "setweight(to_tsvector('simple'::regconfig, register_search_unaccent(numero)), 'A') "
        "|| setweight(register_search_words(intitule), 'A') "
        "|| setweight(register_search_words(CASE "
        "  WHEN json_typeof(certificateurs -> 'certificateurs') = 'array' THEN ("
        "    SELECT string_agg(CASE json_typeof(c)"
        "      WHEN 'object' THEN concat_ws(' ', c ->> 'nom', c ->> 'siret')"
        "      WHEN 'string' THEN c #>> '{}'"
        "      ELSE '' END, ' ')"
        "    FROM json_array_elements(certificateurs -> 'certificateurs') AS c)"
        "  ELSE '' END), 'B') "
        f"|| setweight(register_search_words(concat_ws(' ', {competences})), 'C') $$"
    )
    # ON DELETE CASCADE covers deletions, and TRUNCATE register_entry … CASCADE empties it too.
    op.execute(
        "CREATE TABLE register_search ("
        "entry_id BIGINT NOT NULL, document tsvector NOT NULL, "
        "CONSTRAINT pk_register_search PRIMARY KEY (entry_id), "
        "CONSTRAINT fk_register_search_entry_id_register_entry FOREIGN KEY (entry_id) "
        "REFERENCES register_entry (id) ON DELETE CASCADE)"
    )
    op.execute("CREATE INDEX ix_register_search_document ON register_search USING GIN (document)")
    # The writer's INSERT must never fail because of its index: a value the functions cannot
    # read (a \u0000 escape in the JSON, a text past tsvector's 1 MB) indexes the number and
    # the title only.
    op.execute(
        "CREATE FUNCTION register_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE found tsvector; BEGIN "
        "BEGIN found := register_search_document("
        "  NEW.numero, NEW.intitule, NEW.certificateurs, NEW.content); "
        "EXCEPTION WHEN OTHERS THEN found := register_search_document("
        "  NEW.numero, NEW.intitule, NULL, NULL); END; "
        "INSERT INTO register_search (entry_id, document) VALUES (NEW.id, found) "
        "ON CONFLICT (entry_id) DO UPDATE SET document = EXCLUDED.document; "
        "RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER register_search_sync AFTER INSERT OR UPDATE OF {INDEXED_COLUMNS} "
        "ON register_entry FOR EACH ROW EXECUTE FUNCTION register_search_sync()"
    )
    # The entries already there go through the trigger, its fallback included.
    op.execute("UPDATE register_entry SET numero = numero")
