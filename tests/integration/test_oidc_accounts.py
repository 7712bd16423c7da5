"""engine/people/oidc_accounts.py on the real database: the refusals a provider's identity can
meet that the browser tests (tests/browser/test_oidc_sign_in.py) do not go through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.core.clock import utcnow
from engine.core.models import AuditEvent, OidcIdentity
from engine.people import accounts, oidc_accounts
from engine.people.oidc_accounts import Identity, Refused

ISSUER = "https://fournisseur.example"


@pytest.fixture(autouse=True)
def no_identity(session: Session) -> Iterator[None]:
    yield
    session.rollback()
    session.execute(delete(OidcIdentity))
    session.commit()


def identity(subject: str, email: str, *, verified: bool = True) -> Identity:
    return Identity(
        issuer=ISSUER, subject=subject, email=email, email_verified=verified, name="Quelqu'un"
    )


def test_no_email_opens_nothing(session: Session) -> None:
    with pytest.raises(Refused, match="n'a pas transmis d'adresse électronique valide"):
        oidc_accounts.sign_in(session, identity("s-1", ""), "ProConnect", utcnow())
    with pytest.raises(Refused, match="n'a pas transmis d'adresse électronique valide"):
        oidc_accounts.sign_in(session, identity("s-1", "pas une adresse"), "ProConnect", utcnow())


def test_a_deactivated_account_is_refused_even_when_bound(session: Session) -> None:
    user = accounts.find_user_by_email(session, "rapporteur2@example.org")
    assert user is not None
    oidc_accounts.sign_in(session, identity("s-2", user.email), "ProConnect", utcnow())
    accounts.set_active(user, False)
    try:
        with pytest.raises(Refused, match="Ce compte est désactivé"):
            oidc_accounts.sign_in(session, identity("s-2", user.email), "ProConnect", utcnow())
    finally:
        accounts.set_active(user, True)


def test_an_account_bound_to_another_subject_is_not_taken_over(session: Session) -> None:
    user = accounts.find_user_by_email(session, "commission@example.org")
    assert user is not None
    oidc_accounts.sign_in(session, identity("s-3", user.email), "ProConnect", utcnow())
    with pytest.raises(Refused, match="déjà relié à une autre identité ProConnect"):
        oidc_accounts.sign_in(session, identity("s-4", user.email), "ProConnect", utcnow())
    bound = session.scalars(select(OidcIdentity.subject).where(OidcIdentity.user_id == user.id))
    assert list(bound) == ["s-3"]


def test_each_sign_in_is_in_the_trail(session: Session) -> None:
    user = accounts.find_user_by_email(session, "recevabilite@example.org")
    assert user is not None
    found = oidc_accounts.sign_in(session, identity("s-5", user.email), "ProConnect", utcnow())
    assert found.user.id == user.id and not found.created
    oidc_accounts.sign_in(session, identity("s-5", "ailleurs@example.org"), "ProConnect", utcnow())
    summaries = list(
        session.scalars(
            select(AuditEvent.summary).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id)
        )
    )
    assert summaries == [
        "Compte recevabilite@example.org relié à son identité ProConnect (adresse vérifiée).",
        "Connexion de recevabilite@example.org par ProConnect.",
        "Connexion de recevabilite@example.org par ProConnect.",
    ]
