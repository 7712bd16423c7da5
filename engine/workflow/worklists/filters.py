"""The filters of the worklists, read from a query string (shareable, savable as a view).

Parameters: `q` (words searched), `statut`, `etape`, `categorie`, `rapporteur` (a user id),
`organisation` (an id), `depot_du` and `depot_au` (filing dates, AAAA-MM-JJ or JJ/MM/AAAA, days
in Paris), `en_retard` (1), `tri`. A value that cannot match is ignored; a date that is not
one is reported (`Criteria.errors`) and ignored, the rest of the filter applies.

Whatever is typed in `q` is reduced to words of letters and digits (at most ten), each bound as
a value: nothing typed reaches the FTS5 or tsquery syntax.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from engine.core.clock import PARIS, utcnow
from engine.core.models import Instance, WorkItem, WorkItemStatus, as_id
from engine.workflow.worklists.index import plain_words, search_table, text_table

MAX_TEXT = 200
MAX_WORDS = 10
MIN_PREFIX_CHARS = 2
WORD = re.compile(r"[^\W_]+")
# The sorts offered: the due date first, or the order of the list's own column.
SORTS = {
    "echeance": "Échéance la plus proche d'abord",
    "ancien": "Les plus anciens d'abord",
    "recent": "Les plus récents d'abord",
}
CATEGORIES = {
    "A": "A – obligation réglementaire",
    "B": "B – norme de marché",
    "C": "C – utilité économique ou sociale",
}
DATE_ERROR = "Saisissez une date valide, par exemple 31/03/2026."
_FRENCH: sa.ColumnClause[Any] = sa.literal_column("'french'::regconfig")
_SIMPLE: sa.ColumnClause[Any] = sa.literal_column("'simple'::regconfig")


@dataclass(frozen=True)
class Criteria:
    q: str = ""
    statut: str = ""
    etape: str = ""
    categorie: str = ""
    rapporteur: int | None = None
    organisation: int | None = None
    depot_du: date | None = None
    depot_au: date | None = None
    en_retard: bool = False
    tri: str = ""
    # Per parameter, the French message of a value refused (the form shows it, keeps the rest).
    errors: dict[str, str] = field(default_factory=dict, compare=False)
    # What was typed for the dates, given back as typed when refused.
    typed: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, default_sort: str) -> Criteria:
        errors: dict[str, str] = {}
        typed: dict[str, str] = {}
        dates: dict[str, date | None] = {}
        for name in ("depot_du", "depot_au"):
            text = (args.get(name) or "").strip()[:20]
            typed[name] = text
            dates[name] = None
            if text:
                dates[name] = _day(text)
                if dates[name] is None:
                    errors[name] = DATE_ERROR
        categorie = (args.get("categorie") or "")[:8]
        tri = args.get("tri") or default_sort
        return cls(
            q=(args.get("q") or "")[:MAX_TEXT].strip(),
            statut=(args.get("statut") or "")[:60],
            etape=(args.get("etape") or "")[:100],
            categorie=categorie if categorie in CATEGORIES else "",
            rapporteur=as_id(args.get("rapporteur")),
            organisation=as_id(args.get("organisation")),
            depot_du=dates["depot_du"],
            depot_au=dates["depot_au"],
            en_retard=(args.get("en_retard") or "") == "1",
            tri=tri if tri in SORTS else default_sort,
            errors=errors,
            typed=typed,
        )

    def params(self, *, default_sort: str) -> dict[str, str]:
        """The query string of this filter (what a link, a page or a saved view carries)."""
        found: dict[str, str] = {}
        for item in fields(self):
            if item.name in ("errors", "typed"):
                continue
            value = getattr(self, item.name)
            if item.name == "tri" and value == default_sort:
                continue
            if value in (None, "", False):
                continue
            found[item.name] = "1" if value is True else str(value)
        return found

    def with_status(self, statut: str) -> Criteria:
        return replace(self, statut=statut)

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (beyond its sort)."""
        return any(
            getattr(self, name) not in (None, "", False)
            for name in (
                "q",
                "statut",
                "etape",
                "categorie",
                "rapporteur",
                "organisation",
                "depot_du",
                "depot_au",
                "en_retard",
            )
        )

    @property
    def uses_index(self) -> bool:
        """Whether the conditions read `dossier_search` (else the instance alone)."""
        return bool(self.q or self.categorie or self.rapporteur or self.en_retard)


def words_of(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for word in WORD.findall(plain_words(unicodedata.normalize("NFKC", text))):
        if len(word) <= 60 and word not in found:
            found.append(word)
    return tuple(found[:MAX_WORDS])


def dossier_conditions(
    session: Session, criteria: Criteria, dossier_id: Any = Instance.id
) -> list[ColumnElement[bool]]:
    """The filter (the step apart: each list has its own) on `instance` joined to
    `dossier_search`. `dossier_id`: the column the text search's hits are matched on; the
    Bannette gives `work_item.instance_id`, so the few hits drive the query through the work
    items' index by dossier rather than each of the inbox's rows being tested."""
    conditions: list[ColumnElement[bool]] = []
    if criteria.statut:
        conditions.append(Instance.status_label == criteria.statut)
    if criteria.organisation:
        conditions.append(Instance.organisation_id == criteria.organisation)
    if criteria.depot_du:
        conditions.append(Instance.date_depot >= _paris_midnight(criteria.depot_du))
    if criteria.depot_au:
        conditions.append(
            Instance.date_depot < _paris_midnight(criteria.depot_au + timedelta(days=1))
        )
    if criteria.categorie:
        conditions.append(search_table.c.categorie == criteria.categorie)
    if criteria.rapporteur:
        conditions.append(search_table.c.rapporteur_id == criteria.rapporteur)
    if criteria.en_retard:
        conditions.append(search_table.c.echeance < utcnow())
    words = words_of(criteria.q)
    if words:
        conditions.append(_text_match(session, words, dossier_id))
    return conditions


def open_step(step: str) -> ColumnElement[bool]:
    """*Tous les dossiers*: the dossiers with an open task at this step."""
    return sa.exists().where(
        WorkItem.instance_id == Instance.id,
        WorkItem.status == WorkItemStatus.OPEN,
        WorkItem.task_spec == step,
    )


def due_order(session: Session) -> tuple[Any, ...]:
    """The nearest due date first, the dossiers without one last."""
    if session.get_bind().dialect.name == "postgresql":
        return (search_table.c.echeance.asc().nulls_last(),)
    return (search_table.c.echeance.is_(None), search_table.c.echeance.asc())


def _day(text: str) -> date | None:
    """A day as a date field sends it (AAAA-MM-JJ) or as a person types it (JJ/MM/AAAA)."""
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), PARIS)


def _text_match(session: Session, words: tuple[str, ...], dossier_id: Any) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        # Materialized: the hits are found first through the GIN index; else the planner
        # tests the query against each row of the list (it cannot tell how few hits there are).
        hits = (
            sa.select(search_table.c.instance_id)
            .where(search_table.c.document.op("@@")(_pg_query(words)))
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        return dossier_id.in_(sa.select(hits.c.instance_id))
    terms = ['"' + word.replace('"', '""') + '"' for word in words]
    if len(words[-1]) >= MIN_PREFIX_CHARS:
        terms[-1] += "*"
    matching = sa.select(text_table.c.rowid).where(
        sa.literal_column("dossier_search_text").op("MATCH")(" ".join(terms))
    )
    return dossier_id.in_(matching)


def _pg_query(words: tuple[str, ...]) -> Any:
    """Every word required: its French stem, or (the last word) a prefix of a plain word."""
    terms = []
    for position, word in enumerate(words):
        value = sa.literal(word, sa.Text)
        options = [sa.func.plainto_tsquery(_FRENCH, value), sa.func.plainto_tsquery(_SIMPLE, value)]
        if position == len(words) - 1 and len(word) >= MIN_PREFIX_CHARS:
            prefix = value.op("||", return_type=sa.Text)(sa.literal(":*", sa.Text))
            options.append(sa.func.to_tsquery(_SIMPLE, prefix))
        terms.append(sa.Grouping(reduce(_tsquery_op("||"), options)))
    return reduce(_tsquery_op("&&"), terms)


def _tsquery_op(operator: str) -> Any:
    return lambda left, right: left.op(operator, return_type=TSQUERY)(right)
