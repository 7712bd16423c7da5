"""What the worklists' filter form offers: steps, rapporteurs, organisations, categories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import (
    Organisation,
    Role,
    RoleName,
    User,
    UserRole,
    WorkItem,
    WorkItemStatus,
)
from engine.workflow.status import process_statuses
from engine.workflow.worklists.filters import CATEGORIES, SORTS
from engine.workflow.worklists.steps import loose_steps


class Choice(NamedTuple):
    value: str
    label: str


@dataclass(frozen=True)
class Choices:
    steps: list[Choice]
    rapporteurs: list[Choice]
    organisations: list[Choice]
    categories: list[Choice]
    sorts: list[Choice]
    # The statuses the filter offers (the list's own, when it has them).
    statuses: list[Choice]


def filter_choices(session: Session, *, steps: list[Choice] | None = None) -> Choices:
    """The lists of the filter form; `steps` when the list counts its own (the *Bannette*),
    else the steps where some dossier waits."""
    if steps is None:
        # A loose scan of ix_work_item_steps: one index descent per step, not every open task.
        found = session.execute(
            loose_steps("open_steps", [WorkItem.status == WorkItemStatus.OPEN], [WorkItem.status])
        )
        steps = sorted((Choice(spec, title) for spec, title in found), key=lambda c: c.label)
    # Names and ids only (no User objects: this list is on every page of the lists).
    rapporteurs = [
        Choice(str(user_id), name)
        for user_id, name in session.execute(
            select(User.id, User.name)
            .join(UserRole, UserRole.user_id == User.id)
            .join(Role, Role.id == UserRole.role_id)
            .where(Role.name == RoleName.RAPPORTEUR, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    ]
    organisations = [
        Choice(str(org_id), name)
        for org_id, name in session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.name)
        )
    ]
    return Choices(
        steps,
        rapporteurs,
        organisations,
        [Choice(key, label) for key, label in CATEGORIES.items()],
        [Choice(key, label) for key, label in SORTS.items()],
        [Choice(label, label) for label in process_statuses(session)],
    )
