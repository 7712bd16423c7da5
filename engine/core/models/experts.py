"""The avis d'experts of a dossier: an outside expert invited by email to give an opinion
(`InvitationExpert`, which holds the opinion once given), and the opinion's pieces jointes.

An invitation's link carries a token that only the expert's email holds: the row keeps its
SHA-256 (`token_hash`) and the nonce it is derived from (engine/workflow/experts/tokens.py),
never the token. An opinion is written once (the status goes from `envoyee` to `rendue`) and
never changed; nothing of it is ever shown to the dossier's submitters.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class InvitationStatus(StrEnum):
    """Where an invitation stands: sent and waiting, answered, past its deadline, revoked."""

    ENVOYEE = "envoyee"
    RENDUE = "rendue"
    EXPIREE = "expiree"
    REVOQUEE = "revoquee"


INVITATION_STATUS_LABELS = {
    InvitationStatus.ENVOYEE: "Envoyée",
    InvitationStatus.RENDUE: "Rendue",
    InvitationStatus.EXPIREE: "Expirée",
    InvitationStatus.REVOQUEE: "Révoquée",
}


class InvitationExpert(Base):
    __tablename__ = "invitation_expert"
    __table_args__ = (Index("ix_invitation_expert_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    expert_name: Mapped[str] = mapped_column(String(200))
    expert_email: Mapped[str] = mapped_column(String(254))
    # What the inviter asks, in their words (optional).
    message: Mapped[str] = mapped_column(Text, default="")
    # The last day (Paris) the opinion is awaited, and the moment the link dies (its end).
    echeance: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[datetime] = mapped_column()
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=InvitationStatus.ENVOYEE)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it stopped waiting (the opinion given, the deadline passed, revoked) and by whom
    # it was revoked.
    ended_at: Mapped[datetime | None] = mapped_column()
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The opinion, once given: never changed afterwards.
    avis: Mapped[str | None] = mapped_column(Text)


class AvisExpertPiece(Base):
    """A pièce jointe of an expert's opinion (staff only, like the opinion)."""

    __tablename__ = "avis_expert_piece"
    __table_args__ = (Index("ix_avis_expert_piece_invitation", "invitation_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation_expert.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
