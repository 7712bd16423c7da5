"""Who holds a role: the query behind every list of people (recipients, assignees); and the
people emails go to, kept by each process (engine.core.process_cache) since every action sends
some and accounts change seldom."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from engine.core import process_cache
from engine.core.models import Role, User, UserRole

_ACCOUNTS = ("user", "user_role")
_ACCOUNT_MODELS = (User, UserRole)


class Addressable(Protocol):
    """An account as an email needs it: a `User`, or a `Person` kept in memory."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def organisation_id(self) -> int | None: ...


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    organisation_id: int | None


def active_person(session: Session, user_id: int) -> Person | None:
    """The account `user_id` when it is active, else None."""

    def load() -> Person | None:
        row = session.execute(
            select(User.id, User.email, User.name, User.organisation_id).where(
                User.id == user_id, User.active.is_(True)
            )
        ).first()
        return Person(*row) if row is not None else None

    return process_cache.cached(session, _ACCOUNTS, ("person", user_id), _ACCOUNT_MODELS, load)


def people_with_role(
    session: Session, role: str, *, organisation_id: int | None = None
) -> tuple[Person, ...]:
    """The active holders of a role (of one organisation, when given), by name."""

    def load() -> tuple[Person, ...]:
        return tuple(
            Person(user.id, user.email, user.name, user.organisation_id)
            for user in users_with_role(session, role, organisation_id=organisation_id, roles=False)
        )

    key = ("role", role, organisation_id)
    return process_cache.cached(session, _ACCOUNTS, key, _ACCOUNT_MODELS, load)


def users_with_role(
    session: Session, role: str, *, organisation_id: int | None = None, roles: bool = True
) -> list[User]:
    """The active holders of a role (of one organisation, when given), by name. `roles=False`
    when only their names and addresses are read: no second query for their roles."""
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Role, Role.id == UserRole.role_id)
        .where(Role.name == role, User.active.is_(True))
        .order_by(User.name)
    )
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    if not roles:
        query = query.options(lazyload(User.roles))
    return list(session.scalars(query))
