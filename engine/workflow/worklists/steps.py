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
    (task_spec, task_title). The index order is spelled out in full: PostgreSQL does not take
    `claimed_by_id IS NULL` as fixing that column, and would sort instead of walking the index.
    `name`: the CTE's name, unique within a statement."""
    order = (*leading, WorkItem.task_spec, WorkItem.task_title)
    first = (
        sa.select(WorkItem.task_spec.label("spec"), WorkItem.task_title.label("title"))
        .where(*prefix)
        .order_by(*order)
        .limit(1)
        .subquery(f"{name}_first")
    )
    steps = sa.select(first.c.spec, first.c.title).cte(name, recursive=True)
    after = sa.tuple_(WorkItem.task_spec, WorkItem.task_title) > sa.tuple_(
        steps.c.spec, steps.c.title
    )

    def following(column: Any) -> Any:
        return sa.select(column).where(*prefix, after).order_by(*order).limit(1).scalar_subquery()

    steps = steps.union_all(
        sa.select(following(WorkItem.task_spec), following(WorkItem.task_title)).where(
            steps.c.spec.is_not(None)
        )
    )
    return sa.select(steps.c.spec, steps.c.title).where(steps.c.spec.is_not(None))
