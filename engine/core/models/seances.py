"""The commission's séances (sittings) and the dossiers inscribed on their ordre du jour.

A séance belongs to a commission: the `service.id` of the processes it examines (the CNCP's
formation restreinte for the recensement). An inscription is written when *Inscrire à l'ordre
du jour* is completed with that séance; it stays when the dossier is deliberated or adjourned
(the procès-verbal reads it), and its `position` orders the agenda.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class SeanceStatus(StrEnum):
    PREVUE = "prevue"
    TENUE = "tenue"
    ANNULEE = "annulee"


SEANCE_STATUS_LABELS = {
    SeanceStatus.PREVUE: "Prévue",
    SeanceStatus.TENUE: "Tenue",
    SeanceStatus.ANNULEE: "Annulée",
}


class Seance(Base):
    __tablename__ = "seance"
    __table_args__ = (Index("ix_seance_commission_debut", "commission", "debut"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    commission: Mapped[str] = mapped_column(String(60))
    # Its date and hour (stored in UTC, entered and shown in Paris time).
    debut: Mapped[datetime]
    lieu: Mapped[str] = mapped_column(String(300), default="")
    lien_visio: Mapped[str] = mapped_column(String(500), default="")
    statut: Mapped[str] = mapped_column(String(16), default=SeanceStatus.PREVUE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def statut_label(self) -> str:
        return SEANCE_STATUS_LABELS.get(SeanceStatus(self.statut), self.statut)


class Inscription(Base):
    """A dossier on a séance's ordre du jour."""

    __tablename__ = "inscription"
    __table_args__ = (
        UniqueConstraint("seance_id", "instance_id"),
        Index("ix_inscription_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seance_id: Mapped[int] = mapped_column(ForeignKey("seance.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    inscrit_le: Mapped[datetime] = mapped_column(default=utcnow)
    inscrit_par_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
