"""OpenID Connect sign-in, once the provider's answer is checked (web/oidc.py): which account
the identity opens, bound by the provider's subject, matched by a verified email, or created
without any role until an administrator grants one.

The caller owns the transaction; every sign-in and every account created or bound is audited
in it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import Actor
from engine.core.formats import EMAIL
from engine.core.models import OidcIdentity, User
from engine.people.accounts import create_user, find_user_by_email


@dataclass(frozen=True)
class Identity:
    """What the provider says of the person, from its checked ID token and its userinfo."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str


class Refused(Exception):
    """The identity opens no account: `message` says why, in French, on the sign-in page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SignedIn:
    user: User
    # The account was made at this sign-in (it has no role yet).
    created: bool


def sign_in(session: Session, identity: Identity, provider: str, now: datetime) -> SignedIn:
    """The account this identity opens. `provider` is the provider's name as the sign-in
    button says it (« ProConnect »), for the messages and the trail."""
    bound = session.scalar(
        select(OidcIdentity).where(
            OidcIdentity.issuer == identity.issuer, OidcIdentity.subject == identity.subject
        )
    )
    if bound is not None:
        user = session.get(User, bound.user_id)
        assert user is not None  # the row goes with its account (ON DELETE CASCADE)
        _check_open(user)
        if identity.email:
            bound.email = identity.email[:254]
        bound.last_used_at = now
        _record_sign_in(session, user, provider)
        return SignedIn(user=user, created=False)
    email = identity.email.strip().lower()
    if not email or not EMAIL.fullmatch(email) or len(email) > 254:
        raise Refused(
            f"{provider} n'a pas transmis d'adresse électronique valide\u00a0: aucun compte ne "
            "peut vous être ouvert. Connectez-vous avec votre mot de passe, ou adressez-vous à "
            "l'administrateur de la plateforme."
        )
    if not identity.email_verified:
        raise Refused(
            f"Votre adresse électronique ({email}) n'est pas vérifiée par {provider}\u00a0: elle "
            "ne peut pas servir à vous identifier ici. Faites-la vérifier auprès de "
            f"{provider}, ou connectez-vous avec votre mot de passe."
        )
    user = find_user_by_email(session, email)
    created = user is None
    if user is None:
        user = _create(session, identity, email, provider)
    else:
        _check_open(user)
        _check_unbound(session, user, identity.issuer, provider)
        audit.record(
            session,
            None,
            Actor.from_user(user),
            "compte",
            f"Compte {user.email} relié à son identité {provider} (adresse vérifiée).",
            details={"issuer": identity.issuer, "sub": identity.subject},
        )
    session.add(
        OidcIdentity(
            user_id=user.id,
            issuer=identity.issuer,
            subject=identity.subject,
            email=email,
            created_at=now,
            last_used_at=now,
        )
    )
    session.flush()
    _record_sign_in(session, user, provider)
    return SignedIn(user=user, created=created)


def _create(session: Session, identity: Identity, email: str, provider: str) -> User:
    """A new account with no role; its password is a random secret nobody knows (the person
    may choose one through « Mot de passe oublié »)."""
    name = " ".join(identity.name.split())[:200] or email.split("@", 1)[0]
    user = create_user(
        session,
        email=email,
        name=name,
        password=secrets.token_urlsafe(32),
        roles=(),
        enforce_policy=False,
    )
    audit.record(
        session,
        None,
        Actor.from_user(user),
        "compte",
        f"Compte {email} créé à sa première connexion par {provider}, sans rôle jusqu'à ce "
        "qu'un administrateur lui en attribue un.",
        details={"issuer": identity.issuer, "sub": identity.subject},
    )
    return user


def _check_open(user: User) -> None:
    if not user.active or user.deleted_at is not None:
        raise Refused(
            "Ce compte est désactivé\u00a0: adressez-vous à l'administrateur de la plateforme."
        )


def _check_unbound(session: Session, user: User, issuer: str, provider: str) -> None:
    """An account already bound to another identity of the same provider is not taken over by
    whoever now shows its email there."""
    other = session.scalar(
        select(OidcIdentity.id).where(
            OidcIdentity.user_id == user.id, OidcIdentity.issuer == issuer
        )
    )
    if other is not None:
        raise Refused(
            f"Ce compte est déjà relié à une autre identité {provider}\u00a0: connectez-vous avec "
            "votre mot de passe, ou adressez-vous à l'administrateur de la plateforme."
        )


def _record_sign_in(session: Session, user: User, provider: str) -> None:
    audit.record(
        session,
        None,
        Actor.from_user(user),
        "connexion",
        f"Connexion de {user.email} par {provider}.",
    )
