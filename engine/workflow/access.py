"""Who may see a dossier and act on a work item: one place for the rules."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.directory import users_with_role
from engine.core.models import Instance, RoleName, User, WorkItem, WorkItemStatus


def can_see_instance(actor: Actor, instance: Instance) -> bool:
    """CNCP staff see every dossier; a submitter only those of their organisation."""
    if actor.is_staff:
        return True
    return (
        actor.has(RoleName.DEMANDEUR)
        and actor.organisation_id is not None
        and instance.organisation_id == actor.organisation_id
    )


def may_hold(actor: Actor, role: str, organisation_id: int | None) -> bool:
    """Whether work of `role` may go to the actor: the role, and the dossier's organisation when
    the lane is scoped to it (`organisation_id`). The rule of every assignment: who works on a
    task, to whom it is reassigned, who a form designates."""
    if role not in actor.roles or actor.id is None:
        return False
    return organisation_id is None or organisation_id == actor.organisation_id


def may_work_on(actor: Actor, item: WorkItem) -> bool:
    """The lane's role, the dossier's organisation when scoped, the designated user if any."""
    if not may_hold(actor, item.role, item.organisation_id):
        return False
    return item.assignee_id is None or item.assignee_id == actor.id


def reassignable_to(session: Session, item: WorkItem) -> list[User]:
    """Who the task may be handed to: the active users `may_hold` accepts, by name."""
    holders = users_with_role(session, item.role, organisation_id=item.organisation_id)
    return [
        user for user in holders if may_hold(Actor.from_user(user), item.role, item.organisation_id)
    ]


def inbox_filter(actor: Actor) -> ColumnElement[bool]:
    """Open work items the actor may take: theirs, or unclaimed ones of their roles."""
    if actor.id is None or not actor.roles:
        return false()
    return and_(
        WorkItem.status == WorkItemStatus.OPEN,
        WorkItem.role.in_(sorted(actor.roles)),
        or_(WorkItem.assignee_id.is_(None), WorkItem.assignee_id == actor.id),
        or_(WorkItem.claimed_by_id.is_(None), WorkItem.claimed_by_id == actor.id),
        or_(
            WorkItem.organisation_id.is_(None),
            WorkItem.organisation_id == (actor.organisation_id or -1),
        ),
    )
