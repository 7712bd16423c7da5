"""The messagerie of a dossier and the staff's annotations privées

Revision ID: 0011
Revises: 0010

Messages between a dossier's submitters and the staff, with their pieces jointes and each
user's read mark; annotations privées, with theirs. New tables only (no batch operation on an
existing table, so the search triggers of 0005 stay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _piece_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "message",
        sa.Column("id", ID, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], name=op.f("fk_message_author_id_user")),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
            name=op.f("fk_message_instance_id_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
    )
    op.create_index("ix_message_instance_side", "message", ["instance_id", "side", "id"])

    op.create_table(
        "message_piece",
        sa.Column("id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        *_piece_columns(),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_message_piece_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_piece")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_message_piece_storage_key")),
    )
    op.create_index("ix_message_piece_message", "message_piece", ["message_id"])

    op.create_table(
        "message_read",
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
            name=op.f("fk_message_read_instance_id_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_message_read_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_id", "user_id", name=op.f("pk_message_read")),
    )

    op.create_table(
        "annotation",
        sa.Column("id", ID, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_annotation_author_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
            name=op.f("fk_annotation_instance_id_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation")),
    )
    op.create_index("ix_annotation_instance", "annotation", ["instance_id", "id"])

    op.create_table(
        "annotation_piece",
        sa.Column("id", ID, nullable=False),
        sa.Column("annotation_id", ID, nullable=False),
        *_piece_columns(),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotation.id"],
            name=op.f("fk_annotation_piece_annotation_id_annotation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_piece")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_annotation_piece_storage_key")),
    )
    op.create_index("ix_annotation_piece_annotation", "annotation_piece", ["annotation_id"])


def downgrade() -> None:
    op.drop_index("ix_annotation_piece_annotation", table_name="annotation_piece")
    op.drop_table("annotation_piece")
    op.drop_index("ix_annotation_instance", table_name="annotation")
    op.drop_table("annotation")
    op.drop_table("message_read")
    op.drop_index("ix_message_piece_message", table_name="message_piece")
    op.drop_table("message_piece")
    op.drop_index("ix_message_instance_side", table_name="message")
    op.drop_table("message")
