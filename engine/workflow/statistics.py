"""Statistics of the dossiers: for the secretariat (counts by status and step, median delays per
step and per month), and for everyone (requests filed, decisions by outcome and the median time
from filing to decision, per year).

What is stored and read:
- a dossier's status is `instance.status_label` (ix_instance_status_label: an index-only count);
- a step is a work item: `work_item.created_at` when the task opened, `completed_at` when it was
  done (ix_work_item_completed, added for these figures), `task_spec` and `task_title`;
- a request's filing is `instance.date_depot` (set at the dépôt; a retrait has none);
- its decision is the dossier's end: `instance.status = 'completed'` and `updated_at`, the moment
  the end event was reached (nothing writes a completed dossier's row afterwards), the outcome
  being its status (*Recensée*, *Refusée*, *Irrecevable*, *Classée sans suite*…).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.clock import utcnow
from engine.core.figures_sql import medians, paris_month, paris_year, seconds_between
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


def staff_statistics(session: Session, now: datetime | None = None) -> StaffStatistics:
    """The secretariat's figures; the delays are of the steps completed in the last twelve
    months (work items: opened → completed), in days."""
    since = (now or utcnow()) - timedelta(days=366)
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
    done = select(WorkItem).where(
        WorkItem.status == WorkItemStatus.COMPLETED, WorkItem.completed_at >= since
    )
    duration = seconds_between(session, WorkItem.created_at, WorkItem.completed_at)
    delays = sorted(
        (
            StepDelay(title, count, round(float(median) / DAY, 1))
            for title, count, median in medians(session, [WorkItem.task_title], duration, done)
        ),
        key=lambda row: (-row.done, row.title),
    )
    month = paris_month(session, WorkItem.completed_at)
    monthly = [
        MonthDelay(str(month_value), title, count, round(float(median) / DAY, 1))
        for month_value, title, count, median in medians(
            session, [month, WorkItem.task_title], duration, done
        )
    ]
    monthly.sort(key=lambda row: row.month, reverse=True)  # stable: titles stay in order
    return StaffStatistics(by_status, open_by_step, delays, monthly, since)


@dataclass(frozen=True)
class Year:
    year: str
    filed: int
    decisions: list[Count]
    decided: int
    median_days: float | None


def public_statistics(session: Session) -> list[Year]:
    """Per year, most recent first: requests filed (by their dépôt's year), decisions by outcome
    and the median time from filing to decision (by the decision's year)."""
    filed_year = paris_year(session, Instance.date_depot)
    filed = dict(
        session.execute(
            select(filed_year, func.count())
            .where(Instance.date_depot.is_not(None))
            .group_by(filed_year)
        ).all()
    )
    decided_year = paris_year(session, Instance.updated_at)
    ended = select(Instance).where(
        Instance.status == InstanceStatus.COMPLETED, Instance.date_depot.is_not(None)
    )
    outcomes: dict[str, list[Count]] = {}
    for year, label, count in session.execute(
        ended.with_only_columns(decided_year, Instance.status_label, func.count())
        .group_by(decided_year, Instance.status_label)
        .order_by(decided_year, func.count().desc(), Instance.status_label)
    ):
        outcomes.setdefault(str(year), []).append(Count(label, count))
    duration = seconds_between(session, Instance.date_depot, Instance.updated_at)
    median_of = {
        str(year): float(median) / DAY
        for year, _count, median in medians(session, [decided_year], duration, ended)
    }
    years = sorted({str(year) for year in filed} | set(outcomes), reverse=True)
    return [
        Year(
            year=year,
            filed=int(filed.get(year, 0)),
            decisions=outcomes.get(year, []),
            decided=sum(row.count for row in outcomes.get(year, [])),
            median_days=round(median_of[year], 1) if year in median_of else None,
        )
        for year in years
    ]
