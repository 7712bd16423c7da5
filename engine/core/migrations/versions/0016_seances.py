"""The commission's séances and the dossiers on their ordre du jour

Revision ID: 0016
Revises: 0015

New tables only: `seance` (a commission's sitting: date and hour, place or video link, status)
and `inscription` (a dossier on a séance's agenda, in order).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "seance",
        sa.Column("id", ID, nullable=False),
        sa.Column("commission", sa.String(length=60), nullable=False),
        sa.Column("debut", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lieu", sa.String(length=300), nullable=False),
        sa.Column("lien_visio", sa.String(length=500), nullable=False),
        sa.Column("statut", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seance")),
    )
    op.create_index("ix_seance_commission_debut", "seance", ["commission", "debut"])
    op.create_table(
        "inscription",
        sa.Column("id", ID, nullable=False),
        sa.Column("seance_id", ID, nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("inscrit_le", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inscrit_par_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["seance_id"],
            ["seance.id"],
            name=op.f("fk_inscription_seance_id_seance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
            name=op.f("fk_inscription_instance_id_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inscrit_par_id"], ["user.id"], name=op.f("fk_inscription_inscrit_par_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inscription")),
        sa.UniqueConstraint("seance_id", "instance_id", name=op.f("uq_inscription_seance_id")),
    )
    op.create_index("ix_inscription_instance", "inscription", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_inscription_instance", table_name="inscription")
    op.drop_table("inscription")
    op.drop_index("ix_seance_commission_debut", table_name="seance")
    op.drop_table("seance")
