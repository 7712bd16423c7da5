"""TOTP two-factor sign-in (engine/people/two_factor.py): an account's enrolment and its
recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class TotpEnrolment(Base):
    """An account's TOTP secret (RFC 6238, 30-second steps, 6 digits). Unconfirmed until the
    first code is typed: only a confirmed one asks for a code at sign-in."""

    __tablename__ = "totp_enrolment"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    # Base32, as authenticator applications read it.
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column()
    # The time step of the last code accepted: that code, or an older one, is refused after.
    last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(Base):
    """A single-use code that stands in for a TOTP code (a lost phone); only its SHA-256 is
    kept, the code itself was shown once at enrolment."""

    __tablename__ = "recovery_code"
    __table_args__ = (Index("ix_recovery_code_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column()
