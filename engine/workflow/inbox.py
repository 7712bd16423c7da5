"""The *Bannette*: a reviewer's tasks taken, then their roles' tasks nobody took yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, func, literal, select, union_all
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.listing import (
    MAX_PAGE,
    Page,
    bounded_page,
    capped_pages,
    page_count,
)
from engine.core.models import Instance, Organisation, WorkItem, WorkItemStatus
from engine.workflow.access import inbox_filter
from engine.workflow.worklists.filters import Criteria, dossier_conditions, due_order, words_of
from engine.workflow.worklists.index import is_overdue, search_table
from engine.workflow.worklists.steps import loose_steps

PAGE_SIZE = 50
# Each queue (a role's tasks at a step, nobody's or the actor's) is counted up to this many:
# past it the Bannette reads « plus de 1 000 » (a million dossiers leave 100,000 tasks at a
# step, which an exact count would read at every view of the page).
QUEUE_CAP = 1_000
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
    """A step of the filter: the task, its title, how many of the actor's tasks wait there
    (`capped`: more than that)."""

    task_spec: str
    title: str
    count: int
    capped: bool = False


@dataclass(frozen=True)
class Inbox:
    page: Page[InboxRow]
    steps: list[Step]


@dataclass(frozen=True)
class _Queue:
    """The actor's open work items of one role, taken by one of them or by nobody (None), at
    one step: the unit the Bannette counts, each read in one range of ix_work_item_counts."""

    role: str
    claimed_by_id: int | None
    task_spec: str
    task_title: str


def inbox(
    session: Session, actor: Actor, criteria: Criteria | None = None, *, page: int = 1
) -> Inbox:
    """One page of the actor's bannette (`access.inbox_filter`), filtered by step and by the
    dossiers' filter (worklists.filters), oldest, most recent or nearest due date first; and the
    steps with their counts (under the dossiers' filter), each queue counted up to QUEUE_CAP."""
    return _inbox(session, actor, criteria or Criteria(tri=DEFAULT_ORDER), page, QUEUE_CAP)


def _inbox(session: Session, actor: Actor, criteria: Criteria, page: int, cap: int | None) -> Inbox:
    step = criteria.etape
    # Whose tasks: the one rule of access.inbox_filter. SQLite: a text search's hits (a few
    # dossiers) drive the reads when the role is compared as an expression, not as the column
    # whose index walks the whole role's queue (PostgreSQL gets there by its own plan).
    sqlite = session.get_bind().dialect.name == "sqlite"
    by_dossier = sqlite and bool(words_of(criteria.q))
    role = WorkItem.role.concat("") if by_dossier else WorkItem.role
    whose = inbox_filter(actor, role=role)
    # The dossiers' filter, when there is one: a join to their rows (else the work items alone).
    narrowed = (
        dossier_conditions(session, criteria, WorkItem.instance_id) if criteria.active else []
    )
    acting = sorted(actor.acting_ids)  # theirs, and the absent agents' they stand in for
    queues = _queues(session, actor, acting)
    counts = _counts(
        session,
        queues,
        [whose, *narrowed],
        role,
        cap,
        joined=bool(narrowed),
        searched=criteria.uses_index,
    )
    per_step: dict[tuple[str, str], tuple[int, bool]] = {}
    mine_total = total = 0
    mine_capped = capped = False
    for queue, (count, full) in counts:
        if not count:
            continue  # found in the index, but none of it for this actor (or this filter)
        key = (queue.task_spec, queue.task_title)
        known, more = per_step.get(key, (0, False))
        per_step[key] = (known + count, more or full)
        if not step or queue.task_spec == step:
            total += count
            capped = capped or full
            if queue.claimed_by_id is not None:
                mine_total += count
                mine_capped = mine_capped or full
    steps = sorted(
        (Step(spec, title, count, more) for (spec, title), (count, more) in per_step.items()),
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

    if not capped:
        number = bounded_page(page, total, PAGE_SIZE)
    else:
        number = max(1, min(page or 1, MAX_PAGE))
    offset = (number - 1) * PAGE_SIZE
    if mine_capped and offset + PAGE_SIZE >= mine_total:
        # Far down a list of more tasks taken than were counted: where mine end decides which
        # rows the page shows (the exact counts, once).
        return _inbox(session, actor, criteria, page, None)
    wanted = PAGE_SIZE + 1 if capped else PAGE_SIZE  # one more: whether a next page exists
    rows = read(True, offset, min(wanted, mine_total - offset))
    rows += read(False, max(0, offset - mine_total), wanted - len(rows))
    if not capped:
        pages = page_count(total, PAGE_SIZE)
    elif not rows and number > 1:
        return _inbox(session, actor, criteria, page, None)  # past the end: the last page
    else:
        pages = capped_pages(total, PAGE_SIZE, number, len(rows) > PAGE_SIZE)
    page_rows = Page(rows[:PAGE_SIZE], number, pages, total, PAGE_SIZE, capped=capped)
    return Inbox(page_rows, steps)


def _queues(session: Session, actor: Actor, acting: list[int]) -> list[_Queue]:
    """The queues where the actor's open work items wait: per role of theirs, nobody's and
    each of `acting`'s (a loose scan of ix_work_item_counts, one index descent per step)."""
    if actor.id is None or not actor.roles:
        return []
    parts = []
    index_order = (WorkItem.status, WorkItem.role, WorkItem.claimed_by_id)
    for number, (role, claimed) in enumerate(
        (role, claimed) for role in sorted(actor.roles) for claimed in (None, *acting)
    ):
        who = (
            WorkItem.claimed_by_id.is_(None)
            if claimed is None
            else (WorkItem.claimed_by_id == claimed)
        )
        prefix = [WorkItem.status == WorkItemStatus.OPEN, WorkItem.role == role, who]
        found = loose_steps(f"queue_{number}", prefix, index_order).subquery(f"q{number}")
        parts.append(
            select(
                literal(role, String).label("role"),
                literal(claimed, BigInteger).label("claimed"),
                found.c.spec,
                found.c.title,
            )
        )
    return [_Queue(*row) for row in session.execute(union_all(*parts))]


def _counts(
    session: Session,
    queues: list[_Queue],
    conditions: list[Any],
    role: Any,
    cap: int | None,
    *,
    joined: bool,
    searched: bool,
) -> list[tuple[_Queue, tuple[int, bool]]]:
    """Each queue's work items under `conditions`, counted up to `cap` (one statement: a
    count of at most cap + 1 index entries per queue). `joined`: the conditions read the
    dossiers' rows; `searched`: their search index's too."""
    if not queues:
        return []
    parts = []
    for number, queue in enumerate(queues):
        who = (
            WorkItem.claimed_by_id.is_(None)
            if queue.claimed_by_id is None
            else (WorkItem.claimed_by_id == queue.claimed_by_id)
        )
        rows = select(literal(1).label("one")).select_from(WorkItem)
        if joined:
            rows = rows.join(Instance, Instance.id == WorkItem.instance_id)
        if searched:
            rows = rows.outerjoin(search_table, search_table.c.instance_id == WorkItem.instance_id)
        rows = rows.where(
            *conditions,
            role == queue.role,
            who,
            WorkItem.task_spec == queue.task_spec,
            WorkItem.task_title == queue.task_title,
        )
        if cap is not None:
            rows = rows.limit(cap + 1)
        inner = rows.subquery(f"c{number}")
        parts.append(
            select(literal(number).label("queue"), func.count().label("n")).select_from(inner)
        )
    found: dict[int, int] = {queue: n for queue, n in session.execute(union_all(*parts))}
    return [(queue, _capped(found.get(number, 0), cap)) for number, queue in enumerate(queues)]


def _capped(count: int, cap: int | None) -> tuple[int, bool]:
    return (cap, True) if cap is not None and count > cap else (count, False)
