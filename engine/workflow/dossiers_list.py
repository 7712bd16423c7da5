"""Lists of dossiers: *Tous les dossiers* for the CNCP, *Mes demandes* for a submitter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal, select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.listing import COUNT_CAP, Page, paginate
from engine.core.models import Instance, Organisation, RoleName, WorkItem, WorkItemStatus
from engine.workflow.access import visible_dossiers
from engine.workflow.status import process_statuses
from engine.workflow.worklists.filters import Criteria, dossier_conditions, due_order, open_step
from engine.workflow.worklists.index import is_overdue, search_table

PAGE_SIZE = 50
SUBMITTER_PAGE_SIZE = 25


@dataclass(frozen=True)
class DossierRow:
    id: int
    reference: str | None
    title: str
    organisation: str | None
    status_label: str
    updated_at: datetime
    # A task of the submitter's is open (*À compléter par vous*; submitters' list only).
    awaiting_submitter: bool = False
    # The due date it waits on (worklists.index), and whether it has passed.
    echeance: datetime | None = None
    # The version shown (a bulk action refuses a dossier changed since).
    version: int = 0

    @property
    def overdue(self) -> bool:
        return is_overdue(self.echeance)


@dataclass(frozen=True)
class DossierList:
    page: Page[DossierRow]
    criteria: Criteria
    # The statuses the filter offers: those of the deployed processes.
    statuses: list[str]


def all_dossiers(
    session: Session, actor: Actor, criteria: Criteria, *, page: int = 1
) -> DossierList:
    """The dossiers the actor sees and the filter keeps (filters.py), most recently changed
    first, or in the order `criteria.tri` asks (an unknown status filters nothing)."""
    statuses = process_statuses(session)
    if criteria.statut not in statuses:
        criteria = criteria.with_status("")
    query = selection(session, actor, criteria, _COLUMNS)
    counting = selection(session, actor, criteria, [literal(1)], counting=True)
    found = paginate(session, query, page, PAGE_SIZE, cap=COUNT_CAP, counting=counting)
    rows = [_row(*row) for row in found.rows]
    return DossierList(
        Page(rows, found.page, found.pages, found.total, found.size, found.capped),
        criteria,
        statuses,
    )


def selection(
    session: Session,
    actor: Actor,
    criteria: Criteria,
    columns: Sequence[Any],
    *,
    counting: bool = False,
) -> Select[Any]:
    """The `columns` of the dossiers of *Tous les dossiers* under `criteria`, in its order
    (what a page shows, a bulk action or an export takes). `counting`: the rows to count,
    unordered, joined to nothing the filter does not read."""
    conditions = [visible_dossiers(actor), *dossier_conditions(session, criteria)]
    if criteria.etape:
        conditions.append(open_step(criteria.etape))
    if counting:
        rows = select(*columns).select_from(Instance)
        if criteria.uses_index:
            rows = rows.outerjoin(search_table, search_table.c.instance_id == Instance.id)
        return rows.where(*conditions)
    if criteria.tri == "echeance":
        order: tuple[Any, ...] = (*due_order(session), Instance.id)
    elif criteria.tri == "ancien":
        order = (Instance.updated_at.asc(), Instance.id.asc())
    else:
        order = (Instance.updated_at.desc(), Instance.id.desc())
    return (
        select(*columns)
        .select_from(Instance)
        .outerjoin(Organisation, Organisation.id == Instance.organisation_id)
        .outerjoin(search_table, search_table.c.instance_id == Instance.id)
        .where(*conditions)
        .order_by(*order)
    )


_COLUMNS = (
    Instance.id,
    Instance.reference,
    Instance.title,
    Organisation.name,
    Instance.status_label,
    Instance.updated_at,
    search_table.c.echeance,
    Instance.lock_version,
)


def submitter_dossiers(session: Session, actor: Actor, *, page: int = 1) -> Page[DossierRow]:
    """*Mes demandes*: the dossiers of the submitter's organisation, and those waiting for it."""
    mine = (visible_dossiers(actor), Instance.organisation_id == actor.organisation_id)
    counting = select(literal(1)).select_from(Instance).where(*mine)
    found = paginate(
        session, _rows_where(*mine), page, SUBMITTER_PAGE_SIZE, cap=COUNT_CAP, counting=counting
    )
    ids = [row[0] for row in found.rows]
    waiting = set(
        session.scalars(
            select(WorkItem.instance_id).where(
                WorkItem.instance_id.in_(ids),
                WorkItem.status == WorkItemStatus.OPEN,
                WorkItem.role == RoleName.DEMANDEUR,
            )
        )
    )
    rows = [_row(*row, awaiting_submitter=row[0] in waiting) for row in found.rows]
    return Page(rows, found.page, found.pages, found.total, found.size, found.capped)


def _rows_where(
    *conditions: ColumnElement[bool],
) -> Select[int, str | None, str, str, str, datetime]:
    """A list's rows (what `_row` takes), most recently changed first."""
    return (
        select(
            Instance.id,
            Instance.reference,
            Instance.title,
            Organisation.name,
            Instance.status_label,
            Instance.updated_at,
        )
        .outerjoin(Organisation, Organisation.id == Instance.organisation_id)
        .where(*conditions)
        .order_by(Instance.updated_at.desc(), Instance.id.desc())
    )


def _row(
    instance_id: int,
    reference: str | None,
    title: str,
    organisation: str | None,
    status_label: str,
    updated_at: datetime,
    echeance: datetime | None = None,
    version: int = 0,
    *,
    awaiting_submitter: bool = False,
) -> DossierRow:
    return DossierRow(
        instance_id,
        reference,
        title,
        organisation,
        status_label,
        updated_at,
        awaiting_submitter,
        echeance,
        version,
    )
