"""The *Bannette*: a reviewer's tasks taken, then their roles' tasks nobody took yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.listing import Page, bounded_page, page_count
from engine.core.models import Instance, Organisation, WorkItem
from engine.workflow.access import inbox_filter
from engine.workflow.worklists.filters import Criteria, dossier_conditions, due_order, words_of
from engine.workflow.worklists.index import is_overdue, search_table

PAGE_SIZE = 50
ORDERS = ("ancien", "recent", "echeance")
DEFAULT_ORDER = "ancien"


@dataclass(frozen=True)
class InboxRow:
    item_id: int
    reference: str | None
    dossier_title: str
    organisation: str | None
    task_title: str
    status_label: str
    created_at: datetime
    claimed_by_me: bool
    instance_id: int
    # The due date the dossier waits on (worklists.index), and whether it has passed.
    echeance: datetime | None = None
    # The dossier's version shown (a bulk action refuses a dossier changed since).
    version: int = 0

    @property
    def overdue(self) -> bool:
        return is_overdue(self.echeance)


@dataclass(frozen=True)
class Step:
    """A step of the filter: the task, its title, how many of the actor's tasks wait there."""

    task_spec: str
    title: str
    count: int


@dataclass(frozen=True)
class Inbox:
    page: Page[InboxRow]
    steps: list[Step]


def inbox(
    session: Session, actor: Actor, criteria: Criteria | None = None, *, page: int = 1
) -> Inbox:
    """One page of the actor's bannette (`access.inbox_filter`), filtered by step and by the
    dossiers' filter (worklists.filters), oldest, most recent or nearest due date first; and the
    steps with their counts (under the dossiers' filter)."""
    criteria = criteria or Criteria(tri=DEFAULT_ORDER)
    step = criteria.etape
    # Whose tasks: the one rule of access.inbox_filter. SQLite: a text search's hits (a few
    # dossiers) drive the reads when the role is compared as an expression, not as the column
    # whose index walks the whole role's queue (PostgreSQL gets there by its own plan).
    sqlite = session.get_bind().dialect.name == "sqlite"
    by_dossier = sqlite and bool(words_of(criteria.q))
    whose = inbox_filter(actor, role=WorkItem.role.concat("") if by_dossier else WorkItem.role)
    # The dossiers' filter, when there is one: a join to their rows (else the work items alone).
    narrowed = (
        dossier_conditions(session, criteria, WorkItem.instance_id) if criteria.active else []
    )
    # One pass over the covering index ix_work_item_counts: per step, mine and unclaimed.
    counting = select(
        WorkItem.task_spec,
        WorkItem.task_title,
        WorkItem.claimed_by_id.is_not(None),
        func.count(),
    )
    if narrowed:
        counting = counting.join(Instance, Instance.id == WorkItem.instance_id).outerjoin(
            search_table, search_table.c.instance_id == WorkItem.instance_id
        )
    counted = session.execute(
        counting.where(whose, *narrowed)
        # In the index's order: a streaming aggregate, no hashing of 35,000 rows.
        .group_by(WorkItem.claimed_by_id, WorkItem.task_spec, WorkItem.task_title)
        .order_by(WorkItem.claimed_by_id, WorkItem.task_spec, WorkItem.task_title)
    ).all()
    per_step: dict[tuple[str, str], int] = {}
    mine_total = total = 0
    for spec, title, mine, count in counted:
        per_step[(spec, title)] = per_step.get((spec, title), 0) + count
        if not step or spec == step:
            total += count
            mine_total += count if mine else 0
    steps = sorted(
        (Step(spec, title, count) for (spec, title), count in per_step.items()),
        key=lambda row: row.title,
    )
    # The page: my claimed tasks first, then the queue; each read in the order of
    # ix_work_item_queue (status, role, claimed_by_id, created_at, id), stopping at the page.
    conditions = [whose, *narrowed]
    if step:
        conditions.append(WorkItem.task_spec == step)
    ordering: tuple[Any, ...]
    if criteria.tri == "echeance":
        ordering = (*due_order(session), WorkItem.created_at.asc(), WorkItem.id)
    elif criteria.tri == "recent":
        ordering = (WorkItem.created_at.desc(), WorkItem.id)
    else:
        ordering = (WorkItem.created_at.asc(), WorkItem.id)

    acting = sorted(actor.acting_ids)  # theirs, and the absent agents' they stand in for

    def read(claimed: bool, offset: int, limit: int) -> list[Any]:
        if limit <= 0:
            return []
        who = WorkItem.claimed_by_id.in_(acting) if claimed else WorkItem.claimed_by_id.is_(None)
        query = (
            select(
                WorkItem.id,
                WorkItem.task_title,
                WorkItem.created_at,
                Instance.reference,
                Instance.title,
                Instance.status_label,
                Organisation.name,
                Instance.id,
                search_table.c.echeance,
                Instance.lock_version,
            )
            .join(Instance, Instance.id == WorkItem.instance_id)
            .outerjoin(Organisation, Organisation.id == Instance.organisation_id)
            .outerjoin(search_table, search_table.c.instance_id == WorkItem.instance_id)
            .where(*conditions, who)
            .order_by(*ordering)
            .limit(limit)
            .offset(offset)
        )
        return [
            InboxRow(
                item_id=row[0],
                task_title=row[1],
                created_at=row[2],
                reference=row[3],
                dossier_title=row[4],
                status_label=row[5],
                organisation=row[6],
                claimed_by_me=claimed,
                instance_id=row[7],
                echeance=row[8],
                version=row[9],
            )
            for row in session.execute(query)
        ]

    number = bounded_page(page, total, PAGE_SIZE)
    offset = (number - 1) * PAGE_SIZE
    rows = read(True, offset, min(PAGE_SIZE, mine_total - offset))
    rows += read(False, max(0, offset - mine_total), PAGE_SIZE - len(rows))
    return Inbox(Page(rows, number, page_count(total, PAGE_SIZE), total, PAGE_SIZE), steps)
