"""Lists of dossiers: *Tous les dossiers* for the CNCP, *Mes demandes* for a submitter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.listing import Page, paginate
from engine.core.models import Instance, Organisation, RoleName, WorkItem, WorkItemStatus
from engine.workflow.access import visible_dossiers
from engine.workflow.status import process_statuses

PAGE_SIZE = 50
SUBMITTER_PAGE_SIZE = 25
MAX_TEXT = 200


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


@dataclass(frozen=True)
class DossierList:
    page: Page[DossierRow]
    text: str
    status: str
    # The statuses the filter offers: those of the deployed processes.
    statuses: list[str]


def all_dossiers(
    session: Session, actor: Actor, *, text: str = "", status: str = "", page: int = 1
) -> DossierList:
    """The dossiers the actor sees, most recently changed first, searched by reference or
    title, filtered by one of the processes' statuses (an unknown status filters nothing)."""
    text = text[:MAX_TEXT].strip()
    statuses = process_statuses(session)
    status = status if status in statuses else ""
    conditions = [visible_dossiers(actor)]
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Instance.reference.ilike(pattern, escape="\\"),
                Instance.title.ilike(pattern, escape="\\"),
            )
        )
    if status:
        conditions.append(Instance.status_label == status)
    found = paginate(session, _rows_where(*conditions), page, PAGE_SIZE)
    rows = [_row(*row) for row in found.rows]
    return DossierList(
        Page(rows, found.page, found.pages, found.total, found.size), text, status, statuses
    )


def submitter_dossiers(session: Session, actor: Actor, *, page: int = 1) -> Page[DossierRow]:
    """*Mes demandes*: the dossiers of the submitter's organisation, and those waiting for it."""
    query = _rows_where(visible_dossiers(actor), Instance.organisation_id == actor.organisation_id)
    found = paginate(session, query, page, SUBMITTER_PAGE_SIZE)
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
    return Page(rows, found.page, found.pages, found.total, found.size)


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
    *,
    awaiting_submitter: bool = False,
) -> DossierRow:
    return DossierRow(
        instance_id, reference, title, organisation, status_label, updated_at, awaiting_submitter
    )
