"""Thousands of real dossiers in seconds: one made by the engine, then copied row for row.

A copy is the engine's dossier with fresh identities: its instance (the workflow state's task
UUIDs renumbered, a reference of its own), its work items (their task ids the renumbered ones),
its filed forms, its pieces (each a hard link to the original file under a key of its own), its
audit events (not linked yet: the audit job, or `link_pending`, chains them as it does any
committed event) and its pending timers (a reminder the next step cancels). Its emails are not
copied (taken as sent): every email job in the database stays one that really ran.
`dossier_search` gets their rows as for any bulk load.

Completing a copy's task is a real engine step: the engine restores the copied state, finds the
task by its (new) id, runs the process on and writes the result.
"""

from __future__ import annotations

import base64
import enum
import json
import os
import re
import shutil
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.audit_chain import Header, content_digest
from engine.core.clock import utcnow
from engine.core.models import (
    AuditEvent,
    Document,
    Instance,
    Job,
    JobStatus,
    Submission,
    WorkItem,
)
from engine.core.pieces import DocumentStore
from engine.jobs import JobKind
from engine.workflow.worklists import index as worklists_index

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BATCH = 500
TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (Instance, WorkItem, Submission, Document, AuditEvent, Job)
)


def renumbered(state_json: str, mapping: dict[str, str]) -> str:
    """The state's JSON with each UUID of `mapping` replaced."""
    return UUID.sub(lambda match: mapping.get(match.group(0), match.group(0)), state_json)


PACKED = re.compile(r"z\d+:")  # the engine's packed states: a prefix, then base64 of zlib


def encoded_like(stored: str, state_json: str) -> str:
    """`state_json` stored the way `stored` is: plain JSON, or packed under the same prefix
    (`read_template` checks once per template that the engine reads it back)."""
    if stored.lstrip().startswith("{"):
        return state_json
    found = PACKED.match(stored)
    if found is None:
        raise ValueError(f"bench.clones: unknown stored state format ({stored[:8]!r}…)")
    packed = zlib.compress(state_json.encode("utf-8"), 1)
    return found.group(0) + base64.b64encode(packed).decode("ascii")


@dataclass(frozen=True)
class Template:
    """A real dossier's rows, read back before its transaction is rolled back."""

    instance: dict[str, Any]
    state_json: str
    work_items: list[dict[str, Any]]
    submissions: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    events: list[dict[str, Any]]
    timers: list[dict[str, Any]]  # its pending timer jobs
    uuids: frozenset[str]  # the task ids of its rows, each copy's renumbered


def read_template(session: Session, instance_id: int) -> Template:
    """The dossier's rows as they are in the (uncommitted) transaction of `session`."""
    session.flush()

    def rows(table: Table, column: str) -> list[dict[str, Any]]:
        query = select(table).where(table.c[column] == instance_id).order_by(table.c.id)
        return [dict(row) for row in session.execute(query).mappings()]

    instance_table, items, submissions, documents, events, jobs = TABLES
    (instance,) = rows(instance_table, "id")
    items_rows, event_rows = rows(items, "instance_id"), rows(events, "instance_id")
    state_json = spiff.state_json(instance["state"])
    if spiff.state_json(encoded_like(instance["state"], state_json)) != state_json:
        raise ValueError("bench.clones: a copy's state would not read back as its original's")
    timers = [
        row
        for row in rows(jobs, "instance_id")
        if row["kind"] == str(JobKind.TIMER) and row["status"] == JobStatus.PENDING
    ]
    return Template(
        instance=instance,
        state_json=state_json,
        work_items=items_rows,
        submissions=rows(submissions, "instance_id"),
        documents=rows(documents, "instance_id"),
        events=event_rows,
        timers=timers,
        # Task ids: the state's, and those only the rows keep (a pruned tree forgets done tasks).
        uuids=frozenset(
            UUID.findall(state_json)
            + UUID.findall(json.dumps([items_rows, event_rows, timers], default=str))
        ),
    )


@dataclass
class Ids:
    """The next free id of each table (explicit ids: the copies reference each other), and the
    audit trail's head: the copies' events are inserted linked (engine/core/audit_chain.py's
    header and digests), as `link_pending` would link them, without its update of each row."""

    next: dict[str, int]
    seq: int
    prev: str | None

    @classmethod
    def after(cls, connection: Connection) -> Ids:
        """Past every row; the caller links the pending events first (none may come later)."""
        last = connection.execute(
            select(AuditEvent.chain_seq, AuditEvent.hash)
            .where(AuditEvent.chain_seq.is_not(None))
            .order_by(AuditEvent.chain_seq.desc())
            .limit(1)
        ).first()
        return cls(
            {
                table.name: (connection.scalar(select(func.max(table.c.id))) or 0) + 1
                for table in TABLES
            },
            int(last[0]) if last is not None else 0,
            last[1] if last is not None else None,
        )

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass(frozen=True)
class Copy:
    """What differs in one copy: its reference, and what it is given (a claim, dates)."""

    reference: str
    adjust: Callable[[str, dict[str, Any]], None] | None = None  # (table name, row) → in place


def copy_rows(
    template: Template, copy: Copy, ids: Ids, store: DocumentStore
) -> dict[str, list[dict[str, Any]]]:
    """The rows of one copy, by table name; its pieces' files linked under their new keys."""
    mapping = {old: str(uuid.uuid4()) for old in template.uuids}
    old_reference = template.instance["reference"]
    now = utcnow()

    def adjusted(table: str, row: dict[str, Any]) -> dict[str, Any]:
        if copy.adjust is not None:
            copy.adjust(table, row)
        return row

    instance = dict(template.instance)
    instance_id = ids.take("instance")
    instance.update(
        id=instance_id,
        reference=copy.reference,
        state=encoded_like(template.instance["state"], renumbered(template.state_json, mapping)),
        created_at=now,
        updated_at=now,
    )
    out: dict[str, list[dict[str, Any]]] = {"instance": [adjusted("instance", instance)]}
    item_ids: dict[int, int] = {}
    out["work_item"] = []
    for old in template.work_items:
        row = dict(old)
        item_ids[old["id"]] = row["id"] = ids.take("work_item")
        row.update(instance_id=instance_id, task_id=mapping.get(old["task_id"], old["task_id"]))
        out["work_item"].append(adjusted("work_item", row))
    document_ids: dict[str, str] = {}
    out["document"] = []
    for old in template.documents:
        row = dict(old)
        row["id"] = ids.take("document")
        document_ids[str(old["id"])] = str(row["id"])
        # A key of its own in the original's folder (the store files by the key's first digits).
        row.update(
            instance_id=instance_id, storage_key=old["storage_key"][:4] + uuid.uuid4().hex[4:]
        )
        _link(store, old["storage_key"], row["storage_key"])
        out["document"].append(adjusted("document", row))
    fields = {old["field"] for old in template.documents if old["field"]}
    out["submission"] = []
    for old in template.submissions:
        row = dict(old)
        row.update(
            id=ids.take("submission"),
            instance_id=instance_id,
            work_item_id=item_ids.get(old["work_item_id"], old["work_item_id"]),
            data=_pieces_renumbered(old["data"], fields, document_ids),
        )
        out["submission"].append(adjusted("submission", row))
    out["audit_event"] = []
    for old in template.events:
        row = dict(old)
        row.update(
            id=ids.take("audit_event"),
            instance_id=instance_id,
            chain_seq=None,
            content_sha256=None,
            prev_hash=None,
            prev_dossier_hash=None,
            hash=None,
        )
        if old_reference and row["summary"]:
            row["summary"] = row["summary"].replace(old_reference, copy.reference)
        if row["details"] is not None:
            row["details"] = json.loads(renumbered(json.dumps(row["details"]), mapping))
        out["audit_event"].append(adjusted("audit_event", row))
    _link_events(out["audit_event"], ids)
    out["job"] = []
    for old in template.timers:
        row = dict(old)
        row.update(
            id=ids.take("job"),
            instance_id=instance_id,
            payload=json.loads(renumbered(json.dumps(old["payload"]), mapping)),
            idempotency_key=renumbered(old["idempotency_key"] or "", mapping) or None,
            created_at=now,
        )
        if old_reference:
            row["label"] = row["label"].replace(old_reference, copy.reference)
        out["job"].append(adjusted("job", row))
    return out


def _link_events(events: list[dict[str, Any]], ids: Ids) -> None:
    """The copy's events chained after the trail's head and after each other (one dossier)."""
    in_dossier: str | None = None
    for row in events:
        ids.seq += 1
        row.update(
            chain_seq=ids.seq,
            content_sha256=content_digest(row["summary"], row["details"]),
            prev_hash=ids.prev,
            prev_dossier_hash=in_dossier,
        )
        row["hash"] = Header(
            seq=ids.seq,
            id=row["id"],
            dossier=row["instance_id"],
            at=row["at"],
            actor=row["actor_id"],
            kind=row["kind"],
            task_spec=row["task_spec"],
            content=row["content_sha256"],
            prev=ids.prev,
            prev_dossier=in_dossier,
        ).hash()
        ids.prev = in_dossier = row["hash"]


def _pieces_renumbered(
    data: dict[str, Any], fields: set[str], document_ids: dict[str, str]
) -> dict[str, Any]:
    """The form's data with its piece fields pointing at the copy's own documents."""
    result = dict(data)
    for name in fields & set(result):
        value = result[name]
        if isinstance(value, list):
            result[name] = [document_ids.get(str(item), item) for item in value]
        elif value is not None:
            result[name] = document_ids.get(str(value), value)
    return result


def _link(store: DocumentStore, old_key: str, new_key: str) -> None:
    source, target = store.path_for(old_key), store.path_for(new_key)
    try:
        os.link(source, target)
    except FileNotFoundError:  # another folder (the keys' layout changed)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def insert_copies(connection: Connection, copies: Iterator[dict[str, list[dict[str, Any]]]]) -> int:
    """Insert the copies batch by batch (parents first), then their `dossier_search` rows; on
    PostgreSQL the id sequences are moved past the explicit ids. Returns how many."""
    pending: dict[str, list[dict[str, Any]]] = {table.name: [] for table in TABLES}
    instance_ids: list[int] = []

    def flush() -> None:
        for table in TABLES:
            rows = pending[table.name]
            if not rows:
                continue
            if connection.dialect.name == "postgresql":
                _copy_into(connection, table, rows)
            else:
                connection.execute(insert(table), rows)
            rows.clear()

    for rows in copies:
        for name, table_rows in rows.items():
            pending[name].extend(table_rows)
        instance_ids.extend(row["id"] for row in rows["instance"])
        if len(pending["instance"]) >= BATCH:
            flush()
    flush()
    for start in range(0, len(instance_ids), BATCH):
        worklists_index.refresh(connection, instance_ids[start : start + BATCH])
    if connection.dialect.name == "postgresql":
        for table in TABLES:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
            )
    return len(instance_ids)


def _copy_into(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY FROM STDIN through this transaction's connection (JSON as its text)."""
    raw = connection.connection.driver_connection
    assert raw is not None
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_copied(row[name]) for name in columns])


def _copied(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value
