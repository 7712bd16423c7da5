"""Who holds a role: the query behind every list of people (recipients, assignees)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from engine.core.models import Role, User, UserRole


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
