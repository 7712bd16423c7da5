"""What every list page shares: one page of rows, its numbers and links; a dossier's reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

Row = TypeVar("Row")
# Far past any real list: a page number typed in an address cannot make an absurd offset.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a list: its rows, its number (1 to `pages`), the total of rows."""

    rows: Sequence[Row]
    page: int
    pages: int
    total: int
    size: int

    @property
    def links(self) -> tuple[int | None, ...]:
        return page_links(self.page, self.pages)


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def bounded_page(page: int | None, total: int, size: int) -> int:
    """The page to show: a page number below 1 shows the first, past the end the last."""
    return max(1, min(page or 1, page_count(total, size), MAX_PAGE))


def paginate(
    session: Session, query: Select[*tuple[Any, ...]], page: int | None, size: int
) -> Page[Any]:
    """One page of `query`'s rows (as `session.execute` gives them), counted first; a page past
    the end shows the last one."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = bounded_page(page, total, size)
    rows = session.execute(query.limit(size).offset((number - 1) * size)).all()
    return Page(rows, number, page_count(total, size), total, size)


def page_links(page: int, pages: int) -> tuple[int | None, ...]:
    """The page numbers to offer: the first, the last, two on each side of the current one;
    None where numbers are left out (« … »)."""
    shown = sorted(n for n in {1, pages, *range(page - 2, page + 3)} if 1 <= n <= pages)
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
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
