"""The dossiers' search index, `dossier_search` (migration 0017): one narrow row per dossier
with what the worklists filter and sort on that the `instance` row does not hold, and the
dossier's words for the database's full-text search.

- `categorie`: the category decided (`categorie_retenue`), else proposed by the rapporteur
  (`categorie_proposee`), else requested (`categorie`), as filed in the dossier's forms;
- `rapporteur_id`: who holds (or last held) the dossier's rapporteur task, else the rapporteur
  a form designated (`rapporteur_id`);
- `echeance`: the due date the dossier waits on (docs/worklists.md): the earliest pending timer
  of the dossier (deadline for complements, séance date, instruction reminder) or open task's
  `due_at`; when none is pending, the latest timer that fell due while a task then open still
  waits (the dossier is late: *en retard*); none for a closed dossier;
- the words: reference, title, organisation, certifiers' names and SIRET numbers, lower case
  without accents (SQLite: the FTS5 table `dossier_search_text`; PostgreSQL: the tsvector
  `dossier_search.document`, French stems and the words themselves, GIN index).

Kept up to date in the transaction that changes the dossier: the session records, at each
flush, the dossiers whose instance, work items, submissions or timer jobs were written, and
rewrites their rows just before the commit (`install`, done once by engine.workflow.state).
Bulk loads that bypass the ORM call `refresh` (or `rebuild`) themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from engine.core.clock import utcnow
from engine.core.models import (
    Instance,
    InstanceStatus,
    Job,
    JobStatus,
    Organisation,
    Submission,
    UtcDateTime,
    WorkItem,
)
from engine.core.models import WorkItemStatus as Status

TIMER = "timer"
RAPPORTEUR = "rapporteur"
TOUCHED = "worklists.touched"
# Dossiers whose words or category may have changed (a form filed with such fields, a new
# dossier, its reference, title or organisation changed): their whole row is rewritten. The
# others (a task taken or done, a timer fired) only get their due date and rapporteur again.
REWORDED = "worklists.reworded"
WORDED_COLUMNS = ("reference", "title", "organisation_id")
CATEGORY_KEYS = ("categorie_retenue", "categorie_proposee", "categorie")
# Keys of the filed forms whose values are searched (names and SIRET of the certifiers).
TEXT_KEYS = ("certificateurs", "siret_certificateur", "autorite_mandante")
TEXT_PREFIXES = ("certificateur_",)
# What a filed form may hold that the full rewrite reads (`_texts`, `_category`, the designated
# rapporteur).
INDEXED_KEYS = frozenset((*TEXT_KEYS, *CATEGORY_KEYS, "rapporteur_id"))
MAX_WORDS_CHARS = 20_000
WORD = re.compile(r"[^\W_]+")
BATCH = 500

search_table = sa.table(
    "dossier_search",
    sa.column("instance_id", sa.BigInteger),
    sa.column("categorie", sa.String),
    sa.column("rapporteur_id", sa.BigInteger),
    sa.column("echeance", UtcDateTime()),
    sa.column("words", sa.Text),
    sa.column("document"),
)
text_table = sa.table("dossier_search_text", sa.column("rowid", sa.Integer), sa.column("words"))


def plain_words(text: str) -> str:
    """Lower case, accents removed: how the words are indexed and searched."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def indexed_words(text: str) -> str:
    """The runs of letters and digits, apart: "INV-2026-00042" is three words (PostgreSQL's
    parser would read "-2026" as a signed number, which no typed word matches)."""
    return " ".join(WORD.findall(plain_words(text)))


def install() -> None:
    """Listen to every session: idempotent."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def _after_flush(session: Session, _context: Any) -> None:
    touched: set[int] = session.info.setdefault(TOUCHED, set())
    reworded: set[int] = session.info.setdefault(REWORDED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Instance):
            if obj.id is not None and obj not in session.deleted:
                touched.add(obj.id)
                if obj in session.new or _worded_changed(obj):
                    reworded.add(obj.id)
        elif isinstance(obj, WorkItem | Submission) or (
            isinstance(obj, Job) and obj.kind == TIMER  # an email sent changes no due date
        ):
            instance_id = obj.instance_id
            if instance_id is not None:
                touched.add(instance_id)
                if isinstance(obj, Submission) and _indexed_keys(obj.data):
                    reworded.add(instance_id)


def _indexed_keys(data: object) -> bool:
    """Whether a filed form holds what the row is made of (words, category, designation):
    most forms (a decision, a review) do not, and cost the light update only."""
    if not isinstance(data, dict):
        return False
    return any(
        key in INDEXED_KEYS or key.startswith(TEXT_PREFIXES) for key in data if isinstance(key, str)
    )


def _worded_changed(instance: Instance) -> bool:
    # after_flush still sees the attributes' history of the flush.
    attributes = sa.inspect(instance).attrs
    return any(attributes[name].history.has_changes() for name in WORDED_COLUMNS)


def _before_commit(session: Session) -> None:
    session.flush()
    touched: set[int] = session.info.pop(TOUCHED, set())
    reworded: set[int] = session.info.pop(REWORDED, set())
    if touched:
        connection = session.connection()
        refresh(connection, sorted(touched & reworded))
        _refresh_due_dates(connection, sorted(touched - reworded))


def _after_rollback(session: Session) -> None:
    session.info.pop(TOUCHED, None)
    session.info.pop(REWORDED, None)


def _refresh_due_dates(connection: Connection, instance_ids: Sequence[int]) -> None:
    """The due date and rapporteur of dossiers whose words did not change, in one statement
    (an UPDATE from their heads, computed by the database). A rapporteur found none keeps the
    row's (the one the forms designated: no form was filed since). A dossier it did not reach
    (deleted meanwhile, a draft; or a row missing) goes through `refresh`, which removes or
    writes its row."""
    if not instance_ids:
        return
    reached = set(connection.scalars(_due_refresh(), {"ids": list(instance_ids)}))
    missed = sorted(set(instance_ids) - reached)
    if missed:
        refresh(connection, missed)


def refresh(connection: Connection, instance_ids: Sequence[int]) -> None:
    """Rewrite the rows of these dossiers (a dossier gone loses its row)."""
    for start in range(0, len(instance_ids), BATCH):
        _refresh_batch(connection, list(instance_ids[start : start + BATCH]))


def rebuild(connection: Connection) -> int:
    """Every dossier's row, from scratch (migration 0017, bulk loads); how many."""
    ids = [int(value) for value in connection.scalars(sa.select(Instance.id).order_by(Instance.id))]
    refresh(connection, ids)
    return len(ids)


def _refresh_batch(connection: Connection, ids: list[int]) -> None:
    """Two reads (the dossiers with their due dates and rapporteur; what their forms filed),
    then one upsert (and on SQLite the words' row replaced): a few statements per commit."""
    postgresql = connection.dialect.name == "postgresql"
    heads = connection.execute(_heads(), {"ids": ids}).all()
    gone = set(ids) - {row.id for row in heads}
    if gone:
        connection.execute(
            sa.delete(search_table).where(search_table.c.instance_id.in_(sorted(gone)))
        )
        if not postgresql:
            connection.execute(sa.delete(text_table).where(text_table.c.rowid.in_(sorted(gone))))
    if not heads:
        return
    filed = _filed(connection, [row.id for row in heads])
    rows = []
    for head in heads:
        data = filed.get(head.id, {})
        words = indexed_words(
            " ".join([head.reference or "", head.title or "", head.organisation or "",
                      *_texts(data)])
        )  # fmt: skip
        rows.append(
            {
                "instance_id": head.id,
                "categorie": _category(data),
                "rapporteur_id": head.rapporteur or _as_int(data.get("rapporteur_id")),
                # A closed dossier waits on nothing (a timer job left pending says nothing).
                "echeance": _due(head.pending, head.task_due, head.late)
                if head.status == InstanceStatus.RUNNING
                else None,
                "words": words[:MAX_WORDS_CHARS],
            }
        )
    if postgresql:
        connection.execute(
            sa.text(
                "INSERT INTO dossier_search (instance_id, categorie, rapporteur_id, echeance, "
                "document) VALUES (:instance_id, :categorie, :rapporteur_id, :echeance, "
                "to_tsvector('french', :words) || to_tsvector('simple', :words)) "
                "ON CONFLICT (instance_id) DO UPDATE SET categorie = excluded.categorie, "
                "rapporteur_id = excluded.rapporteur_id, echeance = excluded.echeance, "
                "document = excluded.document"
            ),
            rows,
        )
        return
    connection.execute(_sqlite_upsert(), rows)
    connection.execute(
        sa.text("INSERT OR REPLACE INTO dossier_search_text (rowid, words) VALUES (:id, :words)"),
        [{"id": row["instance_id"], "words": row["words"]} for row in rows],
    )


@cache
def _sqlite_upsert() -> sa.TextClause:
    return sa.text(
        "INSERT INTO dossier_search (instance_id, categorie, rapporteur_id, echeance) "
        "VALUES (:instance_id, :categorie, :rapporteur_id, :echeance) "
        "ON CONFLICT (instance_id) DO UPDATE SET categorie = excluded.categorie, "
        "rapporteur_id = excluded.rapporteur_id, echeance = excluded.echeance"
    ).bindparams(sa.bindparam("echeance", type_=UtcDateTime()))


@cache
def _due_refresh() -> sa.Update:
    """`echeance` as `_due` computes it, `rapporteur_id` kept when none is found; returns the
    ids reached. Built once, the ids bound each time."""
    pending, task_due, late, rapporteur = _due_parts()
    heads = (
        sa.select(
            Instance.id.label("id"),
            Instance.status.label("status"),
            pending.label("pending"),
            task_due.label("task_due"),
            late.label("late"),
            rapporteur.label("rapporteur"),
        )
        .where(Instance.id.in_(sa.bindparam("ids", expanding=True)))
        .subquery("heads")
    )
    ahead, due_at = heads.c.pending, heads.c.task_due
    echeance = sa.case(
        (heads.c.status != InstanceStatus.RUNNING, sa.null()),
        (sa.and_(ahead.is_(None), due_at.is_(None)), heads.c.late),
        (due_at.is_(None), ahead),
        (ahead.is_(None), due_at),
        (ahead <= due_at, ahead),
        else_=due_at,
    )
    return (
        sa.update(search_table)
        .where(search_table.c.instance_id == heads.c.id)
        .values(
            echeance=echeance,
            rapporteur_id=sa.func.coalesce(heads.c.rapporteur, search_table.c.rapporteur_id),
        )
        .returning(search_table.c.instance_id)
    )


@cache
def _heads() -> sa.Select[Any]:
    """Per dossier: what its words start with, and its due date's and rapporteur's parts."""
    pending, task_due, late, rapporteur = _due_parts()
    # Built once (a statement this size costs milliseconds to build), the ids bound each time.
    return (
        sa.select(
            Instance.id,
            Instance.status,
            Instance.reference,
            Instance.title,
            Organisation.name.label("organisation"),
            pending.label("pending"),
            task_due.label("task_due"),
            late.label("late"),
            rapporteur.label("rapporteur"),
        )
        .outerjoin(Organisation, Organisation.id == Instance.organisation_id)
        .where(Instance.id.in_(sa.bindparam("ids", expanding=True)))
    )


def _due_parts() -> tuple[Any, Any, Any, Any]:
    """Correlated subqueries, each on an index by instance: the dossier's earliest pending
    timer, its open tasks' earliest `due_at`, the latest timer fired while a task opened
    before it still waits, and its rapporteur."""
    timer = sa.and_(Job.instance_id == Instance.id, Job.kind == TIMER)
    # The status as an expression (`status || ''`): else SQLite reads ix_job_due (every
    # pending job of the platform) rather than ix_job_instance (the dossier's jobs).
    status = Job.status.concat("")
    pending = sa.select(sa.func.min(Job.run_at)).where(timer, status == JobStatus.PENDING)
    task_due = sa.select(sa.func.min(WorkItem.due_at)).where(
        WorkItem.instance_id == Instance.id, WorkItem.status == Status.OPEN
    )
    waiting = aliased(WorkItem)
    late = (
        sa.select(sa.func.max(Job.run_at))
        .join(waiting, waiting.instance_id == Job.instance_id)
        .where(
            timer,
            status == JobStatus.DONE,
            waiting.status == Status.OPEN,
            waiting.created_at <= Job.run_at,
        )
    )
    holder = sa.func.coalesce(
        WorkItem.claimed_by_id, WorkItem.completed_by_id, WorkItem.assignee_id
    )
    rapporteur = (
        sa.select(holder)
        .where(
            WorkItem.instance_id == Instance.id, WorkItem.role == RAPPORTEUR, holder.is_not(None)
        )
        .order_by(WorkItem.id.desc())
        .limit(1)
    )
    return (
        pending.scalar_subquery(),
        task_due.scalar_subquery(),
        late.scalar_subquery(),
        rapporteur.scalar_subquery(),
    )


def _due(
    pending: datetime | None, task_due: datetime | None, late: datetime | None
) -> datetime | None:
    """`echeance`: see the module's docstring."""
    ahead = [value for value in (pending, task_due) if value is not None]
    return min(ahead) if ahead else late


def _filed(connection: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """What the dossiers' forms filed, the later over the earlier."""
    merged: dict[int, dict[str, Any]] = defaultdict(dict)
    rows = connection.execute(
        sa.select(Submission.instance_id, Submission.data)
        .where(Submission.instance_id.in_(ids))
        .order_by(Submission.instance_id, Submission.submitted_at, Submission.id)
    )
    for instance_id, data in rows:
        if isinstance(data, dict):
            merged[instance_id].update(
                (key, value) for key, value in data.items() if value not in (None, "")
            )
    return merged


def _texts(data: dict[str, Any]) -> Iterable[str]:
    for key, value in data.items():
        if (key in TEXT_KEYS or key.startswith(TEXT_PREFIXES)) and isinstance(value, str | int):
            yield str(value)


def _category(data: dict[str, Any]) -> str | None:
    for key in CATEGORY_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value[:8]
    return None


def _as_int(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def is_overdue(echeance: datetime | None, now: datetime | None = None) -> bool:
    return echeance is not None and echeance < (now or utcnow())
