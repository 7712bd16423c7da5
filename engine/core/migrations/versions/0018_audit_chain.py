"""The audit trail's hash chains and seals: `audit_event.chain_seq`…`hash`, `audit_seal`

Each event gets its place in the global chain, the digest of its content, the hashes of the
events before it (global and in its dossier) and its own hash (the canonical form of
engine/core/audit_chain.py, docs/operations.md « Journal d'audit »). The events already there
are linked here, in the order of their ids, on SQLite and PostgreSQL alike.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.core.audit_chain import Header, content_digest

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COLUMNS = ("content_sha256", "prev_hash", "prev_dossier_hash", "hash")


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(64), nullable=True))
        batch.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(op.f("uq_audit_event_chain_seq"), ["chain_seq"])
    op.create_table(
        "audit_seal",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chain_seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seal")),
    )
    _link_existing()


def downgrade() -> None:
    op.drop_table("audit_seal")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint(op.f("uq_audit_event_chain_seq"), type_="unique")
        for name in ("redacted_at", *reversed(COLUMNS), "chain_seq"):
            batch.drop_column(name)


def _link_existing() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, instance_id, at, actor_id, kind, task_spec, summary, details "
            "FROM audit_event ORDER BY id"
        )
    ).all()
    prev: str | None = None
    heads: dict[int, str] = {}
    update = sa.text(
        "UPDATE audit_event SET chain_seq = :seq, content_sha256 = :content, "
        "prev_hash = :prev, prev_dossier_hash = :prev_dossier, hash = :hash WHERE id = :id"
    )
    for seq, (event_id, dossier, at, actor, kind, task_spec, summary, details) in enumerate(
        rows, start=1
    ):
        content = content_digest(summary, _details(details))
        header = Header(
            seq=seq,
            id=event_id,
            dossier=dossier,
            at=_moment(at),
            actor=actor,
            kind=kind,
            task_spec=task_spec,
            content=content,
            prev=prev,
            prev_dossier=heads.get(dossier) if dossier is not None else None,
        )
        digest = header.hash()
        bind.execute(
            update,
            {
                "seq": seq,
                "content": content,
                "prev": prev,
                "prev_dossier": header.prev_dossier,
                "hash": digest,
                "id": event_id,
            },
        )
        prev = digest
        if dossier is not None:
            heads[dossier] = digest


def _details(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):  # SQLite gives the JSON text
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else None
    return value if isinstance(value, dict) else None


def _moment(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite's text, as the UtcDateTime type writes it
        return datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value
