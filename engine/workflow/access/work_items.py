"""Who opens, takes, gives back, fills or hands over a task; the inbox filter."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import QueryableAttribute, Session

from engine.core.actor import Actor
from engine.core.directory import users_with_role
from engine.core.errors import Conflict, Forbidden, NotFound
from engine.core.models import (
    Instance,
    InstanceStatus,
    User,
    WorkItem,
    WorkItemStatus,
)
from engine.definitions.definition import ProcessDefinition
from engine.workflow.access.dossiers import may_see_dossier
from engine.workflow.access.refusals import Refusal
from engine.workflow.access.spaces import may_reassign_tasks
from engine.workflow.access.substitution import acts_for


def may_hold(actor: Actor, role: str, organisation_id: int | None) -> bool:
    """Whether work of `role` may go to the actor: the role, and the dossier's organisation when
    the lane is scoped to it (`organisation_id`). The rule of every assignment: who works on a
    task, to whom it is reassigned, who a form designates."""
    if role not in actor.roles or actor.id is None:
        return False
    return organisation_id is None or organisation_id == actor.organisation_id


def may_work_on(actor: Actor, item: WorkItem) -> bool:
    """Who may read a task's page: the lane's role, the dossier's organisation when the lane is
    scoped to it, the designated user if any."""
    if not may_hold(actor, item.role, item.organisation_id):
        return False
    return item.assignee_id is None or acts_for(actor, item.assignee_id)


def may_read_task(actor: Actor, item: WorkItem) -> bool:
    """Who may open a task's page: whoever may work on it, and whoever may hand it over
    (the page then offers *Réattribuer*, not the form)."""
    return may_work_on(actor, item) or may_reassign(actor, item)


def refusal_to_act(actor: Actor, item: WorkItem, instance: Instance) -> Refusal | None:
    """Who may fill a task's form (save a draft, complete it): one who may work on it, while it
    is open, not taken by someone else, and the dossier not blocked by a process error."""
    if not may_see_dossier(actor, instance):
        return Refusal(NotFound, "Tâche introuvable.")
    if item.status != WorkItemStatus.OPEN:
        return Refusal(Conflict, raced_item_id=item.id)
    if not may_work_on(actor, item):
        return Refusal(Forbidden, "Cette tâche ne vous est pas attribuée.")
    if item.claimed_by_id and not acts_for(actor, item.claimed_by_id):
        return Refusal(Conflict, raced_item_id=item.id)
    if instance.status == InstanceStatus.ERROR:
        return Refusal(
            Conflict,
            "Ce dossier est bloqué par une erreur du processus\u202f; le propriétaire du processus "
            "en est informé.",
        )
    return None


def may_act(actor: Actor, item: WorkItem, instance: Instance) -> bool:
    """Whether the task's form (or a link to it) is offered: see `refusal_to_act`."""
    return refusal_to_act(actor, item, instance) is None


def refusal_to_claim(actor: Actor, item: WorkItem, instance: Instance) -> Refusal | None:
    """*Prendre en charge*: whoever may act on a task nobody has taken yet."""
    refused = refusal_to_act(actor, item, instance)
    if refused is not None:
        return refused
    if item.claimed_by_id == actor.id:
        return Refusal(Conflict, "Vous avez déjà pris en charge cette tâche.")
    return None


def may_claim(actor: Actor, item: WorkItem, instance: Instance) -> bool:
    """Whether *Prendre en charge* is offered: see `refusal_to_claim`."""
    return refusal_to_claim(actor, item, instance) is None


def refusal_to_release(actor: Actor, item: WorkItem, instance: Instance) -> Refusal | None:
    """*Libérer*: the one who took the task gives it back, while they may still act on it."""
    refused = refusal_to_act(actor, item, instance)
    if refused is not None:
        return refused
    if item.claimed_by_id != actor.id:
        return Refusal(Conflict, "Vous n'avez pas pris en charge cette tâche.")
    return None


def may_release(actor: Actor, item: WorkItem, instance: Instance) -> bool:
    """Whether *Libérer* is offered: see `refusal_to_release`."""
    return refusal_to_release(actor, item, instance) is None


def refusal_to_reassign(actor: Actor, item: WorkItem) -> Refusal | None:
    """*Réattribuer*: the secrétariat or an administrator hands an open task to someone else
    (to whom: `reassignable_to`)."""
    if not may_reassign_tasks(actor):
        return Refusal(
            Forbidden, "Seuls le secrétariat et les administrateurs peuvent réattribuer."
        )
    if item.status != WorkItemStatus.OPEN:
        return Refusal(Conflict, raced_item_id=item.id)
    return None


def may_reassign(actor: Actor, item: WorkItem) -> bool:
    """Whether *Réattribuer* is offered: see `refusal_to_reassign`."""
    return refusal_to_reassign(actor, item) is None


def reassignable_to(session: Session, item: WorkItem) -> list[User]:
    """Who the task may be handed to: the active users `may_hold` accepts, by name."""
    holders = users_with_role(session, item.role, organisation_id=item.organisation_id)
    return [
        user for user in holders if may_hold(Actor.from_user(user), item.role, item.organisation_id)
    ]


def may_be_designated(
    definition: ProcessDefinition, instance: Instance, name: str, role: str, user: User
) -> bool:
    """Who a form's user field may name: the rule of `may_hold` for the field's role and for
    each lane whose tasks go to the person the field designates; a role that works for the
    dossier's organisation in some lane is designated within that organisation only."""
    if not user.active:
        return False
    candidate = Actor.from_user(user)
    organisation = instance.organisation_id
    field_scoped = any(
        rule.role == role and rule.scope == "organisation" for rule in definition.lanes.values()
    )
    if not may_hold(candidate, role, organisation if field_scoped else None):
        return False
    return all(
        may_hold(candidate, rule.role, organisation if rule.scope == "organisation" else None)
        for rule in definition.lanes.values()
        if rule.assignee_variable == name
    )


def inbox_filter(
    actor: Actor, *, role: ColumnElement[str] | QueryableAttribute[str] = WorkItem.role
) -> ColumnElement[bool]:
    """The *Bannette*: open work items the actor may take (`may_work_on`, not taken by
    someone else) as a condition on `work_item` rows. `role`: the expression the work item's
    role is read through (the column unless a read model steers its planner otherwise)."""
    if actor.id is None or not actor.roles:
        return false()
    return and_(
        WorkItem.status == WorkItemStatus.OPEN,
        role.in_(sorted(actor.roles)),
        or_(WorkItem.assignee_id.is_(None), WorkItem.assignee_id.in_(sorted(actor.acting_ids))),
        or_(
            WorkItem.claimed_by_id.is_(None),
            WorkItem.claimed_by_id.in_(sorted(actor.acting_ids)),
        ),
        or_(
            WorkItem.organisation_id.is_(None),
            WorkItem.organisation_id == (actor.organisation_id or -1),
        ),
    )
