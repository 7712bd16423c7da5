"""100,000 dossiers in a couple of seconds: copies of real dossiers, bulk-inserted.

The engine makes one real dossier at each step of the procedure (its `instance` row, state
blob included, and its open `work_item`). Those rows are copied with fresh ids, references,
organisations and dates, spread over the roles and steps as a live service would be, and
inserted in batches: SQLAlchemy Core executemany on SQLite; on PostgreSQL, COPY into
temporary tables then one INSERT … SELECT that joins the few template state blobs.

A million (`python -m bench --large`) goes in transactions of `CHUNK` dossiers, each reported
on stderr; with `search=True` the dossiers' search index rows (`dossier_search`, what
engine.workflow.worklists.index.rebuild would write for such a copy: its reference, title and
organisation as words, its open task's due date, its rapporteur) are written beside them, on
PostgreSQL the tsvector computed by the server from COPY'd words.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text

from bench.dossiers import FAVORABLE, REVIEWER, TWO_ROUNDS, Env, play
from bench.report import progress
from engine.core.clock import utcnow
from engine.core.models import (
    Instance,
    InstanceStatus,
    Organisation,
    UtcDateTime,
    WorkItem,
    WorkItemStatus,
)
from engine.workflow.actions import claims
from engine.workflow.worklists.index import MAX_WORDS_CHARS, RAPPORTEUR, indexed_words

BATCH = 10_000
CHUNK = 100_000  # dossiers per transaction (a million: ten, each reported)
FIRST_NUMBER = 10_000  # references numbered past it: never those the engine's counter gives
DEMANDEUR_OF = {
    "ministere": "demandeur@example.org",
    "cpne": "demandeur2@example.org",
    "organisation_cncp": "demandeur3@example.org",
    "certificateur": "mandataire@example.org",
}


@dataclass(frozen=True)
class Template:
    """A real dossier waiting at one step, and the share of the bulk copied from it."""

    name: str
    weight: int
    instance: dict[str, Any]
    item: dict[str, Any]


# (name, scenario, steps played, weight in %, variant)
MIX = (
    ("brouillon", FAVORABLE, 0, 10, None),
    ("recevabilite", FAVORABLE, 1, 12, None),
    ("recevabilite-prise", FAVORABLE, 1, 3, "claimed"),
    ("complements", TWO_ROUNDS, 2, 10, None),
    ("designation", FAVORABLE, 2, 10, None),
    ("instruction", FAVORABLE, 3, 10, None),
    ("instruction-r2", FAVORABLE, 3, 10, "rapporteur2"),
    ("ordre-du-jour", FAVORABLE, 4, 10, None),
    ("deliberation", FAVORABLE, 6, 15, None),
    ("decision", FAVORABLE, 7, 10, None),
)


def make_templates(env: Env) -> list[Template]:
    """One real dossier per entry of MIX, made by the engine and read back as rows."""
    templates = []
    instance_table = Instance.__table__
    item_table = WorkItem.__table__
    with env.sessions() as session:
        for name, scenario_name, steps, weight, variant in MIX:
            played = env.scenarios[scenario_name]
            instance = play(env, session, played.organisation, played.steps[:steps])
            item = session.scalars(
                select(WorkItem).where(
                    WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
                )
            ).one()
            if variant == "claimed":
                claims.claim(session, env.actor(session, REVIEWER), item.id)
            session.flush()
            instance_row = dict(
                session.execute(select(instance_table).where(instance_table.c.id == instance.id))
                .mappings()
                .one()
            )
            item_row = dict(
                session.execute(select(item_table).where(item_table.c.id == item.id))
                .mappings()
                .one()
            )
            if variant == "rapporteur2":
                item_row["assignee_id"] = env.user_id(session, "rapporteur2@example.org")
            templates.append(Template(name, weight, instance_row, item_row))
        session.rollback()  # the templates themselves are not kept
    return templates


@dataclass(frozen=True)
class BulkResult:
    instances: int
    seconds: float
    by_template: dict[str, int]


def bulk_insert(
    env: Env, count: int, seed: int = 20_260_101, *, search: bool = False, chunk: int = CHUNK
) -> BulkResult:
    """`count` copies of the templates; references continue those of earlier calls.
    `search`: their `dossier_search` rows too (else `index.rebuild` builds them, timed)."""
    templates = make_templates(env)
    started = time.perf_counter()
    rng = random.Random(seed)
    with env.sessions() as session:
        demandeurs = {key: env.user_id(session, email) for key, email in DEMANDEUR_OF.items()}
        first_instance = (session.scalar(select(func.max(Instance.id))) or 0) + 1
        first_item = (session.scalar(select(func.max(WorkItem.id))) or 0) + 1
        per_year = _last_numbers(session)
        names = {
            row.id: row.name for row in session.execute(select(Organisation.id, Organisation.name))
        }
    org_ids = [(env.organisations[key], demandeurs[key]) for key in DEMANDEUR_OF]
    chosen = rng.choices(templates, weights=[t.weight for t in templates], k=count)
    by_template: dict[str, int] = {}
    for template in chosen:
        by_template[template.name] = by_template.get(template.name, 0) + 1

    instance_columns = list(templates[0].instance)
    item_columns = [name for name in templates[0].item if name != "draft"]
    now = utcnow()

    def rows() -> Iterator[Copy]:
        for index, template in enumerate(chosen):
            instance_id = first_instance + index
            organisation_id, demandeur_id = org_ids[rng.randrange(len(org_ids))]
            created = now - timedelta(seconds=rng.randrange(2 * 365 * 86_400))
            age = int((now - created).total_seconds())
            updated = created + timedelta(seconds=rng.randrange(min(90 * 86_400, age) + 1))
            instance = dict(template.instance)
            instance.update(
                id=instance_id,
                organisation_id=organisation_id,
                created_by_id=demandeur_id,
                created_at=created,
                updated_at=updated,
                lock_version=template.instance["lock_version"],
            )
            if template.instance["reference"] is not None:
                per_year[created.year] = per_year.get(created.year, FIRST_NUMBER) + 1
                instance["reference"] = f"INV-{created.year}-{per_year[created.year]:05d}"
                instance["date_depot"] = created + timedelta(hours=rng.randrange(1, 240))
            item = {name: template.item[name] for name in item_columns}
            item.update(
                id=first_item + index,
                instance_id=instance_id,
                task_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                created_at=updated,
                claimed_at=updated if template.item["claimed_by_id"] else None,
            )
            if template.item["organisation_id"] is not None:
                item["organisation_id"] = organisation_id
            found = _search_row(instance, item, names.get(organisation_id)) if search else None
            yield Copy(instance, item, found)

    copies = rows()
    done = 0
    while done < count:
        size = min(chunk, count - done)
        part = itertools.islice(copies, size)
        with env.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                _copy_postgres(connection, templates, instance_columns, item_columns, part)
            else:
                _insert_sqlite(connection, part)
        done += size
        if count > chunk:
            elapsed = time.perf_counter() - started
            progress(f"  {done:,} of {count:,} dossiers inserted ({elapsed:.0f} s)")
    if env.engine.dialect.name == "postgresql":
        with env.engine.begin() as connection:
            for table in ("instance", "work_item"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    return BulkResult(count, time.perf_counter() - started, by_template)


@dataclass(frozen=True)
class Copy:
    """One dossier's rows: its instance, its open work item, its search row (or None)."""

    instance: dict[str, Any]
    item: dict[str, Any]
    search: dict[str, Any] | None


def _last_numbers(session: Any) -> dict[int, int]:
    """Per year, the last reference number a bulk copy took (FIRST_NUMBER and up)."""
    found: dict[int, int] = {}
    for reference in session.scalars(
        select(Instance.reference).where(Instance.reference.like("INV-%"))
    ):
        _prefix, year, number = str(reference).split("-", 2)
        if number.isdigit() and int(number) > FIRST_NUMBER:
            found[int(year)] = max(found.get(int(year), FIRST_NUMBER), int(number))
    return found


def _search_row(
    instance: dict[str, Any], item: dict[str, Any], organisation: str | None
) -> dict[str, Any]:
    """What index.rebuild writes for a copy: no form filed (no category, no certifier), no
    timer job; its one open task gives the due date and, a rapporteur's, the rapporteur."""
    holder = None
    if item["role"] == RAPPORTEUR:
        holder = item["claimed_by_id"] or item["completed_by_id"] or item["assignee_id"]
    running = instance["status"] == InstanceStatus.RUNNING
    words = indexed_words(
        " ".join([instance["reference"] or "", instance["title"] or "", organisation or ""])
    )
    return {
        "instance_id": instance["id"],
        "categorie": None,
        "rapporteur_id": holder,
        "echeance": item["due_at"] if running and item["status"] == WorkItemStatus.OPEN else None,
        "words": words[:MAX_WORDS_CHARS],
    }


def _batches(rows: Iterator[Copy]) -> Iterator[list[Copy]]:
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


def _insert_sqlite(connection: Connection, rows: Iterator[Copy]) -> None:
    """SQLAlchemy Core executemany, the instances of a batch before their work items (and
    their search rows: the table, then the FTS5 words)."""
    for batch in _batches(rows):
        connection.execute(insert(Instance), [copy.instance for copy in batch])
        connection.execute(insert(WorkItem), [copy.item for copy in batch])
        found = [copy.search for copy in batch if copy.search is not None]
        if found:
            connection.execute(
                text(
                    "INSERT INTO dossier_search (instance_id, categorie, rapporteur_id, echeance) "
                    "VALUES (:instance_id, :categorie, :rapporteur_id, :echeance)"
                ).bindparams(bindparam("echeance", type_=UtcDateTime())),
                found,
            )
            connection.execute(
                text(
                    "INSERT INTO dossier_search_text (rowid, words) VALUES (:instance_id, :words)"
                ),
                found,
            )


def _copy_postgres(
    connection: Connection,
    templates: list[Template],
    instance_columns: list[str],
    item_columns: list[str],
    rows: Iterator[Copy],
) -> None:
    """COPY into temporary tables without the state blobs, then INSERT … SELECT joining the
    few template states: the server copies each blob instead of parsing 100,000 of them."""
    connection.execute(
        text(
            "CREATE TEMP TABLE bench_state (template integer PRIMARY KEY, state text NOT NULL) "
            "ON COMMIT DROP"
        )
    )
    connection.execute(
        text("INSERT INTO bench_state (template, state) VALUES (:template, :state)"),
        [{"template": index, "state": t.instance["state"]} for index, t in enumerate(templates)],
    )
    connection.execute(
        text(
            "CREATE TEMP TABLE bench_instance ON COMMIT DROP AS SELECT * FROM instance WITH NO DATA"
        )
    )
    connection.execute(text("ALTER TABLE bench_instance DROP COLUMN state, ADD template integer"))
    connection.execute(
        text("CREATE TEMP TABLE bench_item ON COMMIT DROP AS SELECT * FROM work_item WITH NO DATA")
    )
    connection.execute(
        text(
            "CREATE TEMP TABLE bench_search (instance_id bigint, categorie varchar(8), "
            "rapporteur_id bigint, echeance timestamptz, words text) ON COMMIT DROP"
        )
    )
    light = [name for name in instance_columns if name != "state"] + ["template"]
    index_of = {id(t.instance["state"]): index for index, t in enumerate(templates)}
    searched = ["instance_id", "categorie", "rapporteur_id", "echeance", "words"]
    with_search = False
    for batch in _batches(rows):
        for copy in batch:
            copy.instance["template"] = index_of[id(copy.instance["state"])]
        _copy(connection, "bench_instance", light, [copy.instance for copy in batch])
        _copy(connection, "bench_item", item_columns, [copy.item for copy in batch])
        found = [copy.search for copy in batch if copy.search is not None]
        if found:
            with_search = True
            _copy(connection, "bench_search", searched, found)
    columns = ", ".join(f'"{name}"' for name in instance_columns)
    chosen = ", ".join("s.state" if name == "state" else f'b."{name}"' for name in instance_columns)
    connection.execute(
        text(
            f"INSERT INTO instance ({columns}) SELECT {chosen} FROM bench_instance b "
            "JOIN bench_state s ON s.template = b.template ORDER BY b.id"
        )
    )
    names = ", ".join(f'"{name}"' for name in item_columns)
    connection.execute(
        text(f"INSERT INTO work_item ({names}) SELECT {names} FROM bench_item ORDER BY id")
    )
    if with_search:
        # The document as index.refresh writes it (French stems, then the plain words).
        connection.execute(
            text(
                "INSERT INTO dossier_search (instance_id, categorie, rapporteur_id, echeance, "
                "document) SELECT instance_id, categorie, rapporteur_id, echeance, "
                "to_tsvector('french', words) || to_tsvector('simple', words) "
                "FROM bench_search ORDER BY instance_id"
            )
        )


def _copy(
    connection: Connection, table: str, columns: list[str], rows: list[dict[str, Any]]
) -> None:
    """PostgreSQL COPY FROM STDIN through the psycopg connection of this transaction."""
    raw = connection.connection.driver_connection
    assert raw is not None
    names = ", ".join(f'"{name}"' for name in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])
