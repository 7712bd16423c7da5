"""Who may see a dossier and act on a work item: one place for the rules."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_

from engine.actor import Actor
from engine.models import Instance, RoleName, WorkItem, WorkItemStatus


def can_see_instance(actor: Actor, instance: Instance) -> bool:
    """CNCP staff see every dossier; a submitter only those of their organisation."""
    if actor.is_staff:
        return True
    return (
        actor.has(RoleName.DEMANDEUR)
        and actor.organisation_id is not None
        and instance.organisation_id == actor.organisation_id
    )


def may_work_on(actor: Actor, item: WorkItem) -> bool:
    """The lane's role, the dossier's organisation when scoped, the designated user if any."""
    if item.role not in actor.roles or actor.id is None:
        return False
    if item.organisation_id is not None and item.organisation_id != actor.organisation_id:
        return False
    return item.assignee_id is None or item.assignee_id == actor.id


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
