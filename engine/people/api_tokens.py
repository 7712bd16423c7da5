"""The JSON API's access tokens: made, shown once, resolved, revoked.

A token's secret is `inv_` followed by 43 URL-safe characters (256 random bits): the prefix
lets secret scanners and people recognise it. Only its SHA-256 is stored (a random secret of
that length needs no slow hash). A token acts as its account, within its scopes, until it
expires or is revoked; its account deactivated, it opens nothing. Creation and revocation
leave an audit event in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.core import audit, substitutions
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import NotFound
from engine.core.models import ApiToken, User

PREFIX = "inv_"
SCOPES = {
    "lecture": "Lecture",
    "ecriture": "Écriture",
    "admin": "Administration des processus",
}
KINDS = {"personnel": "Personnel", "service": "Compte de service"}
MAX_DAYS = 366
DEFAULT_DAYS = 90
# The last use is written at most this often, unless the address changed.
TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(ValueError):
    """A token cannot be made as asked: the French reason."""


@dataclass(frozen=True)
class Created:
    token: ApiToken
    # Shown once, never stored.
    secret: str


@dataclass(frozen=True)
class Resolved:
    token_id: int
    actor: Actor
    scopes: frozenset[str]
    # The last use should be written (older than TOUCH_EVERY, or from another address).
    stale: bool


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create(
    session: Session,
    by: Actor,
    user: User,
    *,
    name: str,
    scopes: set[str],
    days: int,
    kind: str = "personnel",
) -> Created:
    """A new token for `user`; TokenRefused (French) for a wrong name, scope or duration."""
    name = " ".join(name.split())[:100]
    if not name:
        raise TokenRefused("Donnez un nom au jeton (par exemple, le système qui l'utilise).")
    if not scopes or not scopes <= SCOPES.keys():
        raise TokenRefused("Choisissez au moins une portée parmi celles proposées.")
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(f"La durée de validité va de 1 à {MAX_DAYS} jours.")
    if kind not in KINDS:
        raise TokenRefused("Type de jeton inconnu.")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        token_hash=token_hash(secret),
        hint=secret[: len(PREFIX) + 6],
        name=name,
        kind=kind,
        user_id=user.id,
        scopes=" ".join(sorted(scopes)),
        created_by_id=by.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        None,
        by,
        "jeton_cree",
        f"Jeton d'accès «\u00a0{name}\u00a0» créé pour {user.name}.",
        details={"jeton": token.id, "type": kind, "portees": sorted(scopes), "jours": days},
    )
    return Created(token, secret)


def resolve(session: Session, secret: str, now: datetime, address: str | None) -> Resolved | None:
    """The actor of a live token of an active account; None otherwise (unknown, expired,
    revoked)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == token_hash(secret),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
            User.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    token, user = row
    actor = Actor.from_user(user)
    if actor.is_reviewer:
        absent = substitutions.absent_ones_for(session, user.id, substitutions.paris_today(now))
        actor = replace(actor, substitutes_for=absent)
    stale = (
        token.last_used_at is None
        or now - token.last_used_at >= TOUCH_EVERY
        or token.last_used_from != address
    )
    return Resolved(token.id, actor, token.scope_set, stale)


def touch(session: Session, token_id: int, now: datetime, address: str | None) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .values(last_used_at=now, last_used_from=(address or "")[:64] or None)
        .execution_options(synchronize_session=False)
    )


def revoke(session: Session, by: Actor, token_id: int, *, owner_id: int | None = None) -> ApiToken:
    """Revoke a token (`owner_id`: only one of that account's); NotFound otherwise."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFound("Jeton introuvable.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            None,
            by,
            "jeton_revoque",
            f"Jeton d'accès «\u00a0{token.name}\u00a0» révoqué.",
            details={"jeton": token.id},
        )
        session.flush()
    return token


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        )
    )


def all_tokens(session: Session, limit: int = 500) -> list[tuple[ApiToken, User]]:
    return [
        (token, user)
        for token, user in session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .order_by(ApiToken.id.desc())
            .limit(limit)
        )
    ]


def state_of(token: ApiToken, now: datetime | None = None) -> str:
    """Where a token stands, in French."""
    if token.revoked_at is not None:
        return "Révoqué"
    if token.expires_at <= (now or utcnow()):
        return "Expiré"
    return "Actif"
