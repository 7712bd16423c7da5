"""Absences and suppléants: who acts for whom, and who declares an absence.

While an agent is absent, their suppléant works on the tasks designated to or taken by them
(the actor's `substitutes_for`, read at sign-in from the absences in force); the rules of
`work_items` ask `acts_for` instead of comparing ids.
"""

from __future__ import annotations

from engine.core.actor import Actor
from engine.core.errors import Forbidden
from engine.core.models import RoleName, User
from engine.workflow.access.refusals import Refusal


def acts_for(actor: Actor, user_id: int | None) -> bool:
    """Whether the actor works on what is `user_id`'s: it is theirs, or they stand in for them
    today."""
    return user_id is not None and user_id in actor.acting_ids


def refusal_to_manage_absence(actor: Actor, agent: User) -> Refusal | None:
    """An agent declares, ends or cancels their own absences; an administrator anyone's."""
    if actor.id == agent.id or actor.has(RoleName.ADMIN):
        return None
    return Refusal(Forbidden, "Seul un administrateur gère l'absence d'un autre agent.")


def may_declare_absence(actor: Actor) -> bool:
    """Whether *Mes absences* is offered: the agents who work on dossiers, and the
    administrators (for others)."""
    return actor.is_reviewer or actor.has(RoleName.ADMIN)
