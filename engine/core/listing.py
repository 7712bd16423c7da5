"""What every list page shares: one page of rows, its numbers and links; a dossier's reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session

Row = TypeVar("Row")
# Far past any real list: a page number typed in an address cannot make an absurd offset.
MAX_PAGE = 10_000
# The lists of dossiers count their rows up to this many: past it they read « plus de 10 000 »
# (counting a million dossiers exactly reads a million index entries at every page view).
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a list: its rows, its number (1 to `pages`), the total of rows. `capped`:
    more rows match than were counted (`total` is then a floor, and `pages` the pages known:
    those the count covers, and the next one when this page is followed by more rows)."""

    rows: Sequence[Row]
    page: int
    pages: int
    total: int
    size: int
    capped: bool = False

    @property
    def links(self) -> tuple[int | None, ...]:
        return page_links(self.page, self.pages, capped=self.capped)


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def bounded_page(page: int | None, total: int, size: int) -> int:
    """The page to show: a page number below 1 shows the first, past the end the last."""
    return max(1, min(page or 1, page_count(total, size), MAX_PAGE))


def paginate(
    session: Session,
    query: Select[*tuple[Any, ...]],
    page: int | None,
    size: int,
    *,
    cap: int | None = None,
    counting: Select[Any] | None = None,
) -> Page[Any]:
    """One page of `query`'s rows (as `session.execute` gives them), counted first; a page past
    the end shows the last one. `cap`: count no further than that many rows (`Page.capped`);
    the pages past the count stay reachable, one after the other. `counting`: the same rows
    without the joins only the columns need, for the count (PostgreSQL keeps a join it has
    removed from reading the index alone); else `query`'s rows are counted without their
    columns (no DISTINCT nor GROUP BY in it, then)."""
    if cap is None:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        total, capped = total or 0, False
    else:
        total, capped = counted(session, query if counting is None else counting, cap)
    if not capped:
        number = bounded_page(page, total, size)
        rows = session.execute(query.limit(size).offset((number - 1) * size)).all()
        return Page(rows, number, page_count(total, size), total, size)
    number = max(1, min(page or 1, MAX_PAGE))
    rows = session.execute(query.limit(size + 1).offset((number - 1) * size)).all()
    if not rows and number > 1:
        # Past the end of a list longer than the cap: its exact length says which page is last.
        return paginate(session, query, page, size)
    return Page(rows[:size], number, capped_pages(total, size, number, len(rows) > size), total,
                size, capped=True)  # fmt: skip


def counted(session: Session, query: Select[Any], cap: int) -> tuple[int, bool]:
    """(how many rows `query` gives, whether there are more): past `cap` rows it stops, the
    rows themselves never read (a constant for columns: the outer joins nothing filters on
    drop out of the plan, the count reads one index)."""
    shape = query.with_only_columns(literal(1)).order_by(None).limit(cap + 1)
    found = session.scalar(select(func.count()).select_from(shape.subquery())) or 0
    return (cap, True) if found > cap else (found, False)


def capped_pages(total: int, size: int, page: int, more: bool) -> int:
    """The pages a capped list knows of: those its count covers, the next one when `page` is
    followed by more rows."""
    return max(page_count(total + 1, size), page + 1 if more else page)


def page_links(page: int, pages: int, *, capped: bool = False) -> tuple[int | None, ...]:
    """The page numbers to offer: the first, the last, two on each side of the current one;
    None where numbers are left out (« … »). `capped`: the last page is not known (none shown,
    « … » after the numbers)."""
    last = {pages} if not capped else set()
    shown = sorted(n for n in {1, *last, *range(page - 2, page + 3)} if 1 <= n <= pages)
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    if capped:
        links.append(None)
    return tuple(links)


@dataclass(frozen=True)
class DossierRef:
    """A dossier as a list names it (a link to its page)."""

    id: int
    reference: str
    title: str

    @classmethod
    def of(cls, instance_id: int, reference: str | None, title: str | None) -> DossierRef:
        return cls(instance_id, reference or f"Brouillon n° {instance_id}", title or "")


def dossier_ref(
    instance_id: int | None, reference: str | None, title: str | None
) -> DossierRef | None:
    """The reference of a row's dossier, if the row has one (a job, an email…)."""
    return DossierRef.of(instance_id, reference, title) if instance_id is not None else None
