"""Sign-in throttling and server-side sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base


class LoginThrottle(Base):
    """Failed sign-ins counted per account typed and per client address
    (engine/people/login_throttle.py).

    The key is a hash of "compte:<email>" or "adresse:<ip>": what was typed (an unknown address,
    sometimes a password typed in the wrong field) is not kept.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_updated_at", "updated_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column()
    # No attempt is checked before this time (a delay, or a lock after too many failures).
    blocked_until: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A signed-in browser (engine/people/user_sessions.py): the cookie carries a random token,
    this row its hash. Signing out deletes the row, so a copied cookie opens nothing afterwards."""

    __tablename__ = "user_session"
    __table_args__ = (
        Index("ix_user_session_user_id", "user_id"),
        Index("ix_user_session_last_seen_at", "last_seen_at"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most once a minute (SQLite has one writer): idle expiry is that precise.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
