"""Exports of a list of dossiers: the columns a person picks, as CSV, XLSX or ODS.

The rows are read in batches and written as they come (`stream`), so an export's memory does
not grow with its size: the CSV with the csv module, the XLSX with openpyxl's write-only mode,
the ODS as a zip whose content.xml is written row by row (writers.py).

What is exported: the dossiers of *Tous les dossiers* under a filter (`Criteria`), or those of
a selection (ids), always cut by `access.visible_dossiers` for the person who asks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from engine.core.actor import Actor
from engine.core.models import Instance, Organisation, User
from engine.workflow.access import visible_dossiers
from engine.workflow.dossiers_list import selection
from engine.workflow.worklists.filters import CATEGORIES, Criteria
from engine.workflow.worklists.index import is_overdue, search_table

FORMATS = {
    "csv": ("CSV (tableur, UTF-8)", "text/csv; charset=utf-8"),
    "xlsx": (
        "XLSX (Excel)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "ods": ("ODS (LibreOffice, OpenDocument)", "application/vnd.oasis.opendocument.spreadsheet"),
}
BATCH = 1000
Cell = str | int | datetime | None

_rapporteur = aliased(User)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    source: Any
    # From the database value to the cell (a label, a flag…).
    cell: Callable[[Any], Cell] = lambda value: value


COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column("reference", "Référence", Instance.reference),
        Column("intitule", "Intitulé", Instance.title),
        Column("demandeur", "Demandeur", Organisation.name),
        Column("statut", "Statut", Instance.status_label),
        Column(
            "categorie",
            "Catégorie",
            search_table.c.categorie,
            lambda value: CATEGORIES.get(value, value or ""),
        ),
        Column("rapporteur", "Rapporteur", _rapporteur.name),
        Column("date_depot", "Déposé le", Instance.date_depot),
        Column("echeance", "Échéance", search_table.c.echeance),
        Column(
            "en_retard",
            "En retard",
            search_table.c.echeance,
            lambda value: "oui" if is_overdue(value) else "non",
        ),
        Column("mise_a_jour", "Mis à jour le", Instance.updated_at),
    )
}
DEFAULT_COLUMNS = ("reference", "intitule", "demandeur", "statut", "echeance")


def chosen_columns(keys: Sequence[str]) -> list[Column]:
    """The columns asked for, in the table's order; the defaults when none is known."""
    wanted = set(keys)
    found = [column for key, column in COLUMNS.items() if key in wanted]
    return found or [COLUMNS[key] for key in DEFAULT_COLUMNS]


def ordered_ids(
    session: Session,
    actor: Actor,
    *,
    criteria: Criteria | None = None,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """The dossiers to export, in the list's order: the filtered list, or the selected ones
    the person may see (by id)."""
    if ids is not None:
        query = (
            sa.select(Instance.id)
            .where(visible_dossiers(actor), Instance.id.in_(list(ids)))
            .order_by(Instance.id)
        )
    else:
        query = selection(session, actor, criteria or Criteria(), [Instance.id])
    return [int(value) for value in session.scalars(query)]


def stream(
    session: Session,
    columns: Sequence[Column],
    ids: Sequence[int],
    after_batch: Callable[[int], None] | None = None,
) -> Iterator[list[Cell]]:
    """The rows of these dossiers in this order, read BATCH at a time (`after_batch` is told
    how many were read: between two batches the caller may commit)."""
    sources = [column.source for column in columns]
    for start in range(0, len(ids), BATCH):
        batch = list(ids[start : start + BATCH])
        query = (
            sa.select(Instance.id, *sources)
            .select_from(Instance)
            .outerjoin(Organisation, Organisation.id == Instance.organisation_id)
            .outerjoin(search_table, search_table.c.instance_id == Instance.id)
            .outerjoin(_rapporteur, _rapporteur.id == search_table.c.rapporteur_id)
            .where(Instance.id.in_(batch))
        )
        found = {row[0]: row[1:] for row in session.execute(query)}
        for instance_id in batch:
            values = found.get(instance_id)
            if values is not None:
                yield [column.cell(value) for column, value in zip(columns, values, strict=True)]
        if after_batch is not None:
            after_batch(start + len(batch))
