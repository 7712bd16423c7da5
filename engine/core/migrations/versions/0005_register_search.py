"""Full-text search of the public register, kept in sync by triggers

`register_search` holds, per entry, what the search filters and sorts on (category, status,
autorité légitime, decision date) in a table with its own indexes: counting and paging 50,000
entries never reads register_entry's wide rows (their JSON content), only the 20 shown.
The words are indexed by the database's own engine:

- SQLite: the FTS5 table `register_search_text` (rowid = entry id; unicode61 with
  remove_diacritics 2, so "electricite" finds "Électricité");
- PostgreSQL: `register_search.head` (number, title, certifiers, with positions and weights:
  what ranks a result) and `register_search.document` (head + competences without positions:
  what matches, GIN index), each with French stems of the text as written and without accents,
  and the unaccented words themselves for prefix matching.

Triggers on register_entry keep both up to date: every writer (publication, import, withdrawal,
expiry, a bulk INSERT) is covered without calling anything. The text is re-indexed only when
the number, title, certifiers or content change; a status change updates the narrow row.

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
TEXT_COLUMNS = "numero, intitule, certificateurs, content"
FACET_COLUMNS = "categorie, status, autorite_legitime, decision_at"


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
        op.execute("DROP FUNCTION IF EXISTS register_search_head(text, text, json)")
        op.execute("DROP FUNCTION IF EXISTS register_search_body(json)")
        op.execute("DROP FUNCTION IF EXISTS register_search_strings(json)")
        op.execute("DROP FUNCTION IF EXISTS register_search_words(text)")
        op.execute("DROP FUNCTION IF EXISTS register_search_unaccent(text)")
    else:
        for trigger in ("insert", "text", "facets", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS register_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS register_search_text")
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


def _sqlite_text(row: str) -> str:
    return (
        "INSERT INTO register_search_text (rowid, numero, intitule, certificateurs, competences) "
        f"VALUES ({row}.id, {row}.numero, {row}.intitule, "
        f"coalesce({_sqlite_certifiers(row)}, ''), {_sqlite_competences(row)});"
    )


def _upgrade_sqlite() -> None:
    # Leftovers of a database whose tables were dropped without them (tests/conftest.py's
    # drop_all on a reused file) would collide with the new rows' ids.
    op.execute("DROP TABLE IF EXISTS register_search_text")
    op.execute("DROP TABLE IF EXISTS register_search")
    op.execute(
        "CREATE TABLE register_search ("
        "entry_id INTEGER NOT NULL PRIMARY KEY, categorie VARCHAR(1) NOT NULL, "
        "status VARCHAR(16) NOT NULL, autorite VARCHAR(300), decision_at DATETIME)"
    )
    # Without "NULLS LAST": SQLite puts NULL first going up, so last going down.
    op.execute("CREATE INDEX ix_register_search_decision ON register_search (decision_at)")
    op.execute(
        "CREATE INDEX ix_register_search_filters ON register_search (autorite, categorie, status)"
    )
    op.execute(
        "CREATE VIRTUAL TABLE register_search_text USING fts5("
        "numero, intitule, certificateurs, competences, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    facets = "new.categorie, new.status, new.autorite_legitime, new.decision_at"
    op.execute(
        "CREATE TRIGGER register_search_insert AFTER INSERT ON register_entry BEGIN "
        "INSERT INTO register_search (entry_id, categorie, status, autorite, decision_at) "
        f"VALUES (new.id, {facets}); {_sqlite_text('new')} END"
    )
    op.execute(
        f"CREATE TRIGGER register_search_text AFTER UPDATE OF {TEXT_COLUMNS} "
        "ON register_entry BEGIN "
        f"DELETE FROM register_search_text WHERE rowid = old.id; {_sqlite_text('new')} END"
    )
    op.execute(
        f"CREATE TRIGGER register_search_facets AFTER UPDATE OF {FACET_COLUMNS} "
        "ON register_entry BEGIN "
        "UPDATE register_search SET categorie = new.categorie, status = new.status, "
        "autorite = new.autorite_legitime, decision_at = new.decision_at "
        "WHERE entry_id = new.id; END"
    )
    op.execute(
        "CREATE TRIGGER register_search_delete AFTER DELETE ON register_entry BEGIN "
        "DELETE FROM register_search WHERE entry_id = old.id; "
        "DELETE FROM register_search_text WHERE rowid = old.id; END"
    )
    op.execute(
        "INSERT INTO register_search (entry_id, categorie, status, autorite, decision_at) "
        "SELECT id, categorie, status, autorite_legitime, decision_at FROM register_entry"
    )
    op.execute(
        "INSERT INTO register_search_text (rowid, numero, intitule, certificateurs, competences) "
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
    # What ranks a result: its number and title (weight A), its certifiers' names and SIRET
    # (B). json_typeof guards json_array_elements, which raises on anything but an array.
    op.execute(
        "CREATE FUNCTION register_search_head(numero text, intitule text, certificateurs json) "
        "RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
        "setweight(to_tsvector('simple'::regconfig, register_search_unaccent(numero)), 'A') "
        "|| setweight(register_search_words(intitule), 'A') "
        "|| setweight(register_search_words(CASE "
        "  WHEN json_typeof(certificateurs -> 'certificateurs') = 'array' THEN ("
        "    SELECT string_agg(CASE json_typeof(c)"
        "      WHEN 'object' THEN concat_ws(' ', c ->> 'nom', c ->> 'siret')"
        "      WHEN 'string' THEN c #>> '{}'"
        "      ELSE '' END, ' ')"
        "    FROM json_array_elements(certificateurs -> 'certificateurs') AS c)"
        "  ELSE '' END), 'B') $$"
    )
    competences = ", ".join(f"register_search_strings(content -> '{key}')" for key in CONTENT_KEYS)
    op.execute(
        "CREATE FUNCTION register_search_body(content json) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
        f"setweight(register_search_words(concat_ws(' ', {competences})), 'C') $$"
    )
    # ON DELETE CASCADE covers deletions, and TRUNCATE register_entry … CASCADE empties it too.
    op.execute(
        "CREATE TABLE register_search ("
        "entry_id BIGINT NOT NULL, categorie VARCHAR(1) NOT NULL, status VARCHAR(16) NOT NULL, "
        "autorite VARCHAR(300), decision_at TIMESTAMP WITH TIME ZONE, "
        "head tsvector NOT NULL, document tsvector NOT NULL, "
        "CONSTRAINT pk_register_search PRIMARY KEY (entry_id), "
        "CONSTRAINT fk_register_search_entry_id_register_entry FOREIGN KEY (entry_id) "
        "REFERENCES register_entry (id) ON DELETE CASCADE)"
    )
    # Long documents (real fiches' competences) go out of the row uncompressed: the search
    # matches through the GIN index, and the rows it reads to count and rank stay narrow.
    op.execute("ALTER TABLE register_search ALTER COLUMN document SET STORAGE EXTERNAL")
    op.execute("CREATE INDEX ix_register_search_document ON register_search USING GIN (document)")
    op.execute(
        "CREATE INDEX ix_register_search_decision "
        "ON register_search (decision_at DESC NULLS LAST, entry_id DESC)"
    )
    op.execute(
        "CREATE INDEX ix_register_search_filters ON register_search (autorite, categorie, status)"
    )
    # The writer's INSERT must never fail because of its index: a value the functions cannot
    # read (a \u0000 escape in the JSON, a text past tsvector's 1 MB) indexes the number and
    # the title only.
    op.execute(
        "CREATE FUNCTION register_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE found_head tsvector; found_body tsvector; BEGIN "
        # Only the filters changed (a withdrawal, an expiry): the words stay as they are.
        "IF TG_OP = 'UPDATE' AND NEW.numero = OLD.numero AND NEW.intitule = OLD.intitule "
        "  AND NEW.certificateurs::text = OLD.certificateurs::text "
        "  AND NEW.content::text = OLD.content::text THEN "
        "  UPDATE register_search SET categorie = NEW.categorie, status = NEW.status, "
        "    autorite = NEW.autorite_legitime, decision_at = NEW.decision_at "
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
        "  (entry_id, categorie, status, autorite, decision_at, head, document) "
        "VALUES (NEW.id, NEW.categorie, NEW.status, NEW.autorite_legitime, NEW.decision_at, "
        "  found_head, strip(found_head || found_body)) "
        "ON CONFLICT (entry_id) DO UPDATE SET categorie = EXCLUDED.categorie, "
        "  status = EXCLUDED.status, autorite = EXCLUDED.autorite, "
        "  decision_at = EXCLUDED.decision_at, head = EXCLUDED.head, "
        "  document = EXCLUDED.document; "
        "RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER register_search_sync AFTER INSERT OR UPDATE OF {TEXT_COLUMNS}, "
        f"{FACET_COLUMNS} ON register_entry FOR EACH ROW EXECUTE FUNCTION register_search_sync()"
    )
    # The entries already there go through the trigger (no row yet: indexed in full).
    op.execute("UPDATE register_entry SET numero = numero")
