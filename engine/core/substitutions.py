"""Who stands in for whom today: the absences in force (engine.people.absences declares them).

Read by the session that builds the actor (the ids an agent acts for), by the access rules
through the actor, and by the emails (a reminder for an absent agent goes to their suppléant).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from engine.core import process_cache
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
    """The users whose suppléant `suppleant_id` is on `day`."""
    return frozenset(
        user_id
        for user_id, suppleant in _in_force(session, day).items()
        if suppleant == suppleant_id
    )


def suppleants_of(session: Session, user_ids: Iterable[int], day: date) -> dict[int, int]:
    """{absent user: their suppléant} for those of `user_ids` absent on `day`."""
    in_force_on_day = _in_force(session, day)
    return {
        user_id: in_force_on_day[user_id]
        for user_id in sorted(set(user_ids))
        if user_id in in_force_on_day
    }


# The absences in force on a day are few (the agents away today) and change seldom: each
# process keeps them until the table's stamp moves (engine.core.process_cache), so that neither
# the actor's session nor the emails of an action read them.
def _in_force(session: Session, day: date) -> Mapping[int, int]:
    def load() -> Mapping[int, int]:
        rows = session.execute(select(Absence.user_id, Absence.suppleant_id).where(*in_force(day)))
        return MappingProxyType({user_id: suppleant_id for user_id, suppleant_id in rows})

    return process_cache.cached(session, ("absence",), ("in_force", day), (Absence,), load)
