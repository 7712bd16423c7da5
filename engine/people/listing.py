"""The administration's lists of people: accounts with their roles, organisations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from engine.core.models import ORGANISATION_KIND_LABELS, ROLE_LABELS, Organisation, User

# The labels by plain text key (rows hold strings).
ROLE_TEXT = {str(key): label for key, label in ROLE_LABELS.items()}
KIND_TEXT = {str(key): label for key, label in ORGANISATION_KIND_LABELS.items()}


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    email: str
    organisation: str | None
    # The French labels of the roles, sorted by their code.
    roles: list[str]
    active: bool


@dataclass(frozen=True)
class OrganisationRow:
    id: int
    name: str
    kind: str
    kind_label: str
    siret: str | None
    mandant: str | None


def users_list(session: Session) -> list[UserRow]:
    """Every account by name, with its organisation and roles."""
    names = {key: name for key, name in session.execute(select(Organisation.id, Organisation.name))}
    return [
        UserRow(
            id=user.id,
            name=user.name,
            email=user.email,
            organisation=names.get(user.organisation_id) if user.organisation_id else None,
            roles=[ROLE_TEXT.get(role, role) for role in sorted(user.role_names)],
            active=user.active,
        )
        for user in session.scalars(
            select(User).options(selectinload(User.roles)).order_by(User.name)
        )
    ]


def organisations_list(session: Session) -> list[OrganisationRow]:
    """Every organisation by name, with the one that mandates it."""
    mandant = aliased(Organisation)
    rows = session.execute(
        select(Organisation, mandant.name)
        .outerjoin(mandant, mandant.id == Organisation.mandant_id)
        .order_by(Organisation.name)
    )
    return [
        OrganisationRow(
            id=organisation.id,
            name=organisation.name,
            kind=organisation.kind,
            kind_label=KIND_TEXT.get(organisation.kind, organisation.kind),
            siret=organisation.siret,
            mandant=mandant_name,
        )
        for organisation, mandant_name in rows
    ]
