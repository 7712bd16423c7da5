"""Server-side sessions: a signed-in browser is a `user_session` row that signing out deletes.

The browser's (signed) cookie carries a random token; the table keeps only its SHA-256, so a
copy of the table opens no session. A session ends when it is revoked (sign-out, password
change, deactivation), after `idle` without a request, or `absolute` after the sign-in however
active it is. The caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from engine.core import process_cache, substitutions
from engine.core.actor import Actor
from engine.core.models import Role, User, UserRole, UserSession
from engine.core.settings import SessionLifetimes

# Last-seen is written at most this often: a write per page would queue every reader behind
# SQLite's single writer. Idle expiry is therefore precise to this much.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Found:
    actor: Actor
    # Last-seen is older than TOUCH_EVERY: the caller should `touch` the session.
    stale: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def open_session(session: Session, user_id: int, now: datetime, lifetimes: SessionLifetimes) -> str:
    """A new session for the user; returns the token for the cookie. Expired rows go meanwhile."""
    purge_expired(session, now, lifetimes)
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(token_hash=token_hash(token), user_id=user_id, created_at=now, last_seen_at=now)
    )
    session.flush()
    return token


# Built once (a request's first query: its construction cost more than its execution).
_LIVE_SESSION = (
    select(
        UserSession.last_seen_at,
        User.id,
        User.email,
        User.name,
        User.organisation_id,
        Role.name,
        # The cache stamps, read here rather than by a query of their own: nearly every
        # request of a signed-in user consults a cached table.
        *(process_cache.stamp_column(table) for table in process_cache.STAMPED),
    )
    .join(User, User.id == UserSession.user_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(Role, Role.id == UserRole.role_id)
    .where(
        UserSession.token_hash == bindparam("token_hash"),
        UserSession.last_seen_at > bindparam("seen_after"),
        UserSession.created_at > bindparam("created_after"),
        User.active.is_(True),
    )
)


def resolve(
    session: Session, token: str, now: datetime, lifetimes: SessionLifetimes
) -> Found | None:
    """The actor of a live session of an active user, in one query; None otherwise."""
    rows = session.execute(
        _LIVE_SESSION,
        {
            "token_hash": token_hash(token),
            "seen_after": now - lifetimes.idle,
            "created_after": now - lifetimes.absolute,
        },
    ).all()
    if not rows:
        return None
    first = rows[0]
    process_cache.remember(session, dict(zip(process_cache.STAMPED, first[6:], strict=True)))
    actor = Actor(
        id=first.id,
        email=first.email,
        name=first.name,
        organisation_id=first.organisation_id,
        roles=frozenset(row[5] for row in rows if row[5] is not None),
    )
    if actor.is_reviewer:
        # One indexed query (ix_absence_suppleant), for agents only.
        absent = substitutions.absent_ones_for(session, first.id, substitutions.paris_today(now))
        actor = replace(actor, substitutes_for=absent)
    return Found(actor=actor, stale=now - first.last_seen_at >= TOUCH_EVERY)


def touch(session: Session, token: str, now: datetime) -> None:
    """Record activity; a concurrent request that already did leaves the row as it is."""
    session.execute(
        update(UserSession)
        .where(
            UserSession.token_hash == token_hash(token),
            UserSession.last_seen_at <= now - TOUCH_EVERY,
        )
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def revoke(session: Session, token: str) -> None:
    session.execute(
        delete(UserSession)
        .where(UserSession.token_hash == token_hash(token))
        .execution_options(synchronize_session=False)
    )


def revoke_all(session: Session, user_id: int) -> None:
    """Every session of the user ends (password changed, account deactivated)."""
    session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user_id)
        .execution_options(synchronize_session=False)
    )


def purge_expired(session: Session, now: datetime, lifetimes: SessionLifetimes) -> None:
    session.execute(
        delete(UserSession)
        .where(
            or_(
                UserSession.last_seen_at <= now - lifetimes.idle,
                UserSession.created_at <= now - lifetimes.absolute,
            )
        )
        .execution_options(synchronize_session=False)
    )
