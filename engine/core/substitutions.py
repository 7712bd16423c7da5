"""Who stands in for whom today: the absences in force (engine.people.absences declares them).

Read by the session that builds the actor (the ids an agent acts for), by the access rules
through the actor, and by the emails (a reminder for an absent agent goes to their suppléant).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS, utcnow
from engine.core.models import Absence


def paris_today(now: datetime | None = None) -> date:
    """The calendar day in Paris: an absence covers whole Paris days."""
    return (now or utcnow()).astimezone(PARIS).date()


def in_force(day: date) -> tuple[ColumnElement[bool], ...]:
    """The condition of an absence that covers `day`."""
    return (
        Absence.cancelled_at.is_(None),
        Absence.debut <= day,
        Absence.fin >= day,
    )


def absent_ones_for(session: Session, suppleant_id: int, day: date) -> frozenset[int]:
    """The users whose suppléant `suppleant_id` is on `day` (ix_absence_suppleant)."""
    return frozenset(
        session.scalars(
            select(Absence.user_id).where(Absence.suppleant_id == suppleant_id, *in_force(day))
        )
    )


def suppleants_of(session: Session, user_ids: Iterable[int], day: date) -> dict[int, int]:
    """{absent user: their suppléant} for those of `user_ids` absent on `day`."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Absence.user_id, Absence.suppleant_id).where(
            Absence.user_id.in_(ids), *in_force(day)
        )
    )
    return {user_id: suppleant_id for user_id, suppleant_id in rows}
