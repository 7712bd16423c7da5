"""The steps where open work items wait, found without reading every work item.

A million dossiers leave hundreds of thousands of open work items, on a dozen steps. `DISTINCT`
or `GROUP BY` reads every one of them; a loose index scan instead jumps from step to step in an
index whose leading columns are fixed by equalities and followed by (task_spec, task_title):
one index descent per step (a recursive CTE, on SQLite as on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select

from engine.core.models import WorkItem


def loose_steps(
    name: str, prefix: Sequence[ColumnElement[bool]], leading: Sequence[Any]
) -> Select[str, str]:
    """The distinct (task_spec, task_title) of the work items `prefix` keeps, in order.

    `prefix`: equalities (or `IS NULL`) on `leading`, the columns of an index before its
    (task_spec, task_title). From a step, the next one is the next title of the same task, else
    the first row of the next task: each an index descent with plain comparisons (SQLite
    walks every row of a task to compare a pair of columns with a correlated pair). The index
    order is spelled out in full: PostgreSQL does not take `claimed_by_id IS NULL` as fixing
    that column, and would sort instead of walking the index. `name`: the CTE's name, unique
    within a statement."""
    order = (*leading, WorkItem.task_spec, WorkItem.task_title)

    def first(column: Any, *conditions: ColumnElement[bool]) -> Any:
        found = sa.select(column).where(*prefix, *conditions).order_by(*order).limit(1)
        return found.correlate(steps).scalar_subquery()

    start = (
        sa.select(WorkItem.task_spec.label("spec"), WorkItem.task_title.label("title"))
        .where(*prefix)
        .order_by(*order)
        .limit(1)
        .subquery(f"{name}_first")
    )
    steps = sa.select(start.c.spec, start.c.title).cte(name, recursive=True)
    same_task = first(
        WorkItem.task_title, WorkItem.task_spec == steps.c.spec, WorkItem.task_title > steps.c.title
    )
    after = WorkItem.task_spec > steps.c.spec  # the next task's first row
    steps = steps.union_all(
        sa.select(
            sa.case((same_task.is_(None), first(WorkItem.task_spec, after)), else_=steps.c.spec),
            sa.func.coalesce(same_task, first(WorkItem.task_title, after)),
        ).where(steps.c.spec.is_not(None))
    )
    return sa.select(steps.c.spec, steps.c.title).where(steps.c.spec.is_not(None))
