"""Statistics in SQL that both databases run: durations and medians.

The median is computed by the database, so a page never reads every duration: PostgreSQL's
`percentile_cont(0.5)` aggregate; on SQLite, window functions (row_number and count over each
group, then the middle one or two rows averaged). The expression that differs (a duration in
seconds) is chosen here by dialect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, Select, cast, func, select
from sqlalchemy.orm import Session

from engine.core.dialect import is_postgresql


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """`end - start` in seconds."""
    if is_postgresql(session):
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def medians(
    session: Session,
    groups: list[Any],
    value: ColumnElement[float],
    query: Select[Any],
) -> list[tuple[Any, ...]]:
    """(*group values, count, median of `value`) per group of `query`'s rows (its FROM and
    WHERE), sorted by the groups. PostgreSQL has the median as an aggregate
    (`percentile_cont(0.5)`); SQLite gets it from window functions."""
    if is_postgresql(session):
        aggregated = (
            query.with_only_columns(
                *groups, func.count(), func.percentile_cont(0.5).within_group(value)
            )
            .group_by(*groups)
            .order_by(*groups)
        )
        return [tuple(row) for row in session.execute(aggregated)]
    ranked = (
        query.with_only_columns(
            *[group.label(f"g{index}") for index, group in enumerate(groups)],
            value.label("v"),
            func.row_number().over(partition_by=groups, order_by=value).label("rn"),
            func.count().over(partition_by=groups).label("n"),
        )
    ).subquery()
    keys = [ranked.c[f"g{index}"] for index in range(len(groups))]
    middle = (
        select(
            *keys,
            func.max(ranked.c.n),
            func.avg(ranked.c.v),
        )
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(*keys)
        .order_by(*keys)
    )
    return [tuple(row) for row in session.execute(middle)]
