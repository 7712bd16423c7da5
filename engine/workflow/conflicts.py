"""Lost races: two people acting on the same dossier at once, and what the loser reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.core.clock import french_moment
from engine.core.errors import Conflict
from engine.core.models import User, WorkItem, WorkItemStatus

DOSSIER_CHANGED = "Ce dossier vient d'être modifié par un autre utilisateur."


def flush_or_conflict(session: Session, message: str = DOSSIER_CHANGED, **context: Any) -> None:
    """Write what the action changed; a row whose version column moved meanwhile (someone
    acted first) becomes a French Conflict (409) instead of an error. The caller then rolls
    back: nothing of the losing action is kept."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(message, **context) from None


def conflict_message(session: Session, work_item_id: int) -> str:
    """After a lost race (and a rollback): who did what, in French."""
    item = session.get(WorkItem, work_item_id)
    if item is None:
        return DOSSIER_CHANGED
    if item.status == WorkItemStatus.COMPLETED:
        # Paris time, as every moment a person reads.
        when = french_moment(item.completed_at) if item.completed_at else ""
        return (
            f"Cette tâche («\u00a0{item.task_title}\u00a0») a déjà été traitée par "
            f"{_user_name(session, item.completed_by_id)} le {when}."
        )
    if item.status == WorkItemStatus.CANCELLED:
        return (
            f"Cette tâche («\u00a0{item.task_title}\u00a0») n'est plus d'actualité\u00a0: "
            "le dossier a avancé."
        )
    if item.claimed_by_id:
        return (
            f"Cette tâche («\u00a0{item.task_title}\u00a0») a été prise en charge par "
            f"{_user_name(session, item.claimed_by_id)}."
        )
    return "Ce dossier vient d'être modifié par un autre utilisateur\u202f; rechargez la page."


def _user_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.name if user is not None else "un autre utilisateur"
