"""Statistics of the dossiers: for the secretariat (counts by status and step, median delays per
step and per month), and for everyone (requests filed, decisions by outcome and the median time
from filing to decision, per year).

What is stored and read:
- a dossier's status is `instance.status_label` (ix_instance_status_updated: an index-only count);
- a step is a work item: `work_item.created_at` when the task opened, `completed_at` when it was
  done (ix_work_item_completed, added for these figures), `task_spec` and `task_title`;
- a request's filing is `instance.date_depot` (set at the dépôt; a retrait has none);
- its decision is the dossier's end: `instance.status = 'completed'` and `updated_at`, the moment
  the end event was reached (nothing writes a completed dossier's row afterwards), the outcome
  being its status (*Recensée*, *Refusée*, *Irrecevable*, *Classée sans suite*…).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS, as_utc, utcnow
from engine.core.figures_sql import medians, seconds_between
from engine.core.models import Instance, InstanceStatus, WorkItem, WorkItemStatus

DAY = 86400.0
# The delays per month cover the last twelve months.
MONTHS = 12


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class StepDelay:
    title: str
    done: int
    median_days: float


@dataclass(frozen=True)
class MonthDelay:
    month: str  # 2026-12
    title: str
    done: int
    median_days: float


@dataclass(frozen=True)
class StaffStatistics:
    by_status: list[Count]
    open_by_step: list[Count]
    delays: list[StepDelay]
    monthly: list[MonthDelay]
    since: datetime


def _paris_start(year: int, month: int = 1) -> datetime:
    """Midnight in Paris on the first of the month, as the UTC moment the database compares."""
    return datetime(year, month, 1, tzinfo=PARIS).astimezone(UTC)


def _months_back(now: datetime, count: int) -> list[tuple[str, datetime, datetime]]:
    """(`2026-12`, start, end) of the current Paris month and the `count - 1` before it."""
    local = now.astimezone(PARIS)
    year, month = local.year, local.month
    found = []
    for _ in range(count):
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        found.append((f"{year}-{month:02d}", _paris_start(year, month), _paris_start(*following)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def staff_statistics(session: Session, now: datetime | None = None) -> StaffStatistics:
    """The secretariat's figures; the delays are of the steps completed in the last twelve
    Paris months, this one included (work items: opened → completed), in days. Each month is an
    index range of ix_work_item_completed."""
    months = _months_back(now or utcnow(), MONTHS)
    since = months[-1][1]
    by_status = [
        Count(label, count)
        for label, count in session.execute(
            select(Instance.status_label, func.count())
            .group_by(Instance.status_label)
            .order_by(func.count().desc(), Instance.status_label)
        )
    ]
    open_by_step = [
        Count(title, count)
        for title, count in session.execute(
            select(WorkItem.task_title, func.count())
            .where(WorkItem.status == WorkItemStatus.OPEN)
            .group_by(WorkItem.task_title)
            .order_by(func.count().desc(), WorkItem.task_title)
        )
    ]
    duration = seconds_between(session, WorkItem.created_at, WorkItem.completed_at)

    def done(start: datetime, end: datetime) -> Select[Any]:
        return select(WorkItem).where(
            WorkItem.status == WorkItemStatus.COMPLETED,
            WorkItem.completed_at >= start,
            WorkItem.completed_at < end,
        )

    delays = sorted(
        (
            StepDelay(title, count, round(float(median) / DAY, 1))
            for title, count, median in medians(
                session, [WorkItem.task_title], duration, done(since, months[0][2])
            )
        ),
        key=lambda row: (-row.done, row.title),
    )
    monthly = [
        MonthDelay(label, title, count, round(float(median) / DAY, 1))
        for label, start, end in months
        for title, count, median in medians(
            session, [WorkItem.task_title], duration, done(start, end)
        )
    ]
    return StaffStatistics(by_status, open_by_step, delays, monthly, since)


@dataclass(frozen=True)
class Year:
    year: str
    filed: int
    decisions: list[Count]
    decided: int
    median_days: float | None


def public_statistics(session: Session) -> list[Year]:
    """Per Paris year, most recent first: requests filed (by their dépôt's year), decisions by
    outcome and the median time from filing to decision (by the decision's year). Each year is
    an index range (ix_instance_depot, ix_instance_decisions): no function over every row."""
    ended = (
        Instance.status == InstanceStatus.COMPLETED,
        Instance.date_depot.is_not(None),
    )
    first = session.scalar(select(func.min(Instance.date_depot)))
    last = max(
        (
            moment
            for moment in (
                session.scalar(select(func.max(Instance.date_depot))),
                session.scalar(select(func.max(Instance.updated_at)).where(*ended)),
            )
            if moment is not None
        ),
        default=None,
    )
    if first is None or last is None:
        return []
    duration = seconds_between(session, Instance.date_depot, Instance.updated_at)
    years = []
    for year in range(
        as_utc(last).astimezone(PARIS).year, as_utc(first).astimezone(PARIS).year - 1, -1
    ):
        start, end = _paris_start(year), _paris_start(year + 1)
        filed = session.scalar(
            select(func.count()).where(Instance.date_depot >= start, Instance.date_depot < end)
        )
        in_year = (*ended, Instance.updated_at >= start, Instance.updated_at < end)
        decisions = [
            Count(label, count)
            for label, count in session.execute(
                select(Instance.status_label, func.count())
                .where(*in_year)
                .group_by(Instance.status_label)
                .order_by(func.count().desc(), Instance.status_label)
            )
        ]
        decided = sum(row.count for row in decisions)
        median = None
        if decided:
            # The middle value (or the two middle ones) of the year's sorted delays.
            middle = session.scalars(
                select(duration)
                .where(*in_year)
                .order_by(duration)
                .limit(2 - decided % 2)
                .offset((decided - 1) // 2)
            ).all()
            median = round(sum(float(value) for value in middle) / len(middle) / DAY, 1)
        if filed or decided:
            years.append(Year(str(year), int(filed or 0), decisions, decided, median))
    return years
