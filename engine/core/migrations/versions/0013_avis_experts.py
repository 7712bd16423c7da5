"""Avis d'experts: invitations of outside experts and their opinions' pieces jointes

Revision ID: 0013
Revises: 0012

An invitation keeps the SHA-256 of its link's token (never the token), its deadline, its
status and, once given, the expert's opinion; the opinion's pieces are a table of their own.
New tables only (no batch operation on an existing table, so the search triggers of 0005 stay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "invitation_expert",
        sa.Column("id", ID, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("expert_name", sa.String(length=200), nullable=False),
        sa.Column("expert_email", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("echeance", sa.Date(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invited_by_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", ID, nullable=True),
        sa.Column("avis", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
            name=op.f("fk_invitation_expert_instance_id_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["user.id"], name=op.f("fk_invitation_expert_invited_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["user.id"], name=op.f("fk_invitation_expert_revoked_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_expert")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_expert_token_hash")),
    )
    op.create_index("ix_invitation_expert_instance", "invitation_expert", ["instance_id", "id"])

    op.create_table(
        "avis_expert_piece",
        sa.Column("id", ID, nullable=False),
        sa.Column("invitation_id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation_expert.id"],
            name=op.f("fk_avis_expert_piece_invitation_id_invitation_expert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_avis_expert_piece")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_avis_expert_piece_storage_key")),
    )
    op.create_index("ix_avis_expert_piece_invitation", "avis_expert_piece", ["invitation_id"])


def downgrade() -> None:
    op.drop_index("ix_avis_expert_piece_invitation", table_name="avis_expert_piece")
    op.drop_table("avis_expert_piece")
    op.drop_index("ix_invitation_expert_instance", table_name="invitation_expert")
    op.drop_table("invitation_expert")
