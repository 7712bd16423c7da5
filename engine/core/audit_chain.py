"""The audit trail's hash chains: the canonical form of an event, the linker and the checker.

Every event is linked twice: in one global chain across dossiers and in its dossier's chain.
Its `hash` is the SHA-256 of its canonical header (version 1, docs/operations.md « Journal
d'audit »): the compact JSON (keys sorted, no spaces, UTF-8) of

    {"v": 1, "seq": …, "id": …, "dossier": …, "at": "2026-12-05T12:00:00.000000Z",
     "actor": …, "kind": …, "task_spec": …, "content": <content_sha256>,
     "prev": <hash of the event before it in the global chain, null for the first>,
     "prev_dossier": <hash of the event before it in its dossier, null for the first or none>}

where `content_sha256` is the SHA-256 of the same JSON of {"summary": …, "details": …}.

Events are linked after their commit, in one sequence (`chain_seq`), by `link_pending`: the
actions pay nothing for it, and two linkers never run at once (PostgreSQL's advisory lock,
SQLite's single writer), so the chain cannot fork. Until linked (at most the linking job's
period), an event is only as safe as its row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from engine.core import dialect
from engine.core.clock import utcnow
from engine.core.models import AuditEvent

CANONICAL_VERSION = 1
# The advisory lock the linkers take on PostgreSQL (any constant; this one spells "audit").
LINK_LOCK = 0x6175646974
BATCH = 1000


def _json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_text(at: datetime) -> str:
    """A moment as the canonical form writes it (a naive one is UTC, as SQLite returns it)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_digest(summary: str | None, details: dict[str, Any] | None) -> str:
    return sha256(_json({"summary": summary or "", "details": details}))


@dataclass(frozen=True)
class Header:
    """What an event's hash covers, besides its content's digest."""

    seq: int
    id: int
    dossier: int | None
    at: datetime
    actor: int | None
    kind: str
    task_spec: str | None
    content: str
    prev: str | None
    prev_dossier: str | None

    def canonical(self) -> bytes:
        return _json(
            {
                "v": CANONICAL_VERSION,
                "seq": self.seq,
                "id": self.id,
                "dossier": self.dossier,
                "at": utc_text(self.at),
                "actor": self.actor,
                "kind": self.kind,
                "task_spec": self.task_spec,
                "content": self.content,
                "prev": self.prev,
                "prev_dossier": self.prev_dossier,
            }
        )

    def hash(self) -> str:
        return sha256(self.canonical())


def dossier_of(event: AuditEvent) -> int | None:
    """The dossier an event was written for; a deleted draft's events keep its id in their
    redacted details."""
    if event.redacted_at is not None and isinstance(event.details, dict):
        found = event.details.get("dossier")
        return found if isinstance(found, int) else None
    return event.instance_id


def lock_linking(session: Session) -> None:
    """One linker at a time, until the transaction ends."""
    if dialect.is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LINK_LOCK})
    elif not session.in_transaction():
        dialect.begin_writing(session)


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str | None


def head(session: Session) -> Head:
    row = session.execute(
        select(AuditEvent.chain_seq, AuditEvent.hash)
        .where(AuditEvent.chain_seq.is_not(None))
        .order_by(AuditEvent.chain_seq.desc())
        .limit(1)
    ).first()
    return Head(0, None) if row is None or row[0] is None else Head(int(row[0]), row[1])


def link_pending(session: Session) -> int:
    """Link every event not linked yet, in the order of their ids; returns how many. The
    caller commits (the lock is held until then)."""
    lock_linking(session)
    current = head(session)
    seq, prev = current.seq, current.hash
    linked = 0
    while True:
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.chain_seq.is_(None))
                .order_by(AuditEvent.id)
                .limit(BATCH)
            )
        )
        if not events:
            return linked
        dossier_heads = _dossier_heads(session, {dossier_of(e) for e in events})
        for event in events:
            seq += 1
            dossier = dossier_of(event)
            if event.content_sha256 is None or event.redacted_at is None:
                event.content_sha256 = content_digest(event.summary, event.details)
            event.chain_seq = seq
            event.prev_hash = prev
            event.prev_dossier_hash = dossier_heads.get(dossier) if dossier is not None else None
            event.hash = header_of(event).hash()
            prev = event.hash
            if dossier is not None:
                dossier_heads[dossier] = event.hash
            linked += 1
        session.flush()


def header_of(event: AuditEvent) -> Header:
    assert event.chain_seq is not None and event.content_sha256 is not None
    return Header(
        seq=event.chain_seq,
        id=event.id,
        dossier=dossier_of(event),
        at=event.at,
        actor=event.actor_id,
        kind=event.kind,
        task_spec=event.task_spec,
        content=event.content_sha256,
        prev=event.prev_hash,
        prev_dossier=event.prev_dossier_hash,
    )


def _dossier_heads(session: Session, dossiers: Iterable[int | None]) -> dict[int, str]:
    """The hash of the last linked event of each dossier."""
    wanted = [d for d in dossiers if d is not None]
    if not wanted:
        return {}
    last = (
        select(AuditEvent.instance_id, func.max(AuditEvent.chain_seq).label("seq"))
        .where(AuditEvent.instance_id.in_(wanted), AuditEvent.chain_seq.is_not(None))
        .group_by(AuditEvent.instance_id)
        .subquery()
    )
    rows = session.execute(
        select(last.c.instance_id, AuditEvent.hash).join(
            AuditEvent, AuditEvent.chain_seq == last.c.seq
        )
    )
    return {int(dossier): str(hash_) for dossier, hash_ in rows if hash_}


def detach_draft(session: Session, instance_id: int) -> None:
    """Before a draft is deleted: its events stay in the chains, their content blanked (it
    held the draft's values) and their dossier kept in the redacted details. They are linked
    first, so that the dossier's chain is whole (a draft's deletion is rare: the linking costs
    that action alone)."""
    link_pending(session)
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.instance_id == instance_id)
        .values(
            instance_id=None,
            summary="",
            details={"dossier": instance_id},
            redacted_at=func.coalesce(AuditEvent.redacted_at, utcnow()),
        )
        .execution_options(synchronize_session=False)
    )
