"""Full-text search of the public register, with the database's own engine.

SQLite: the FTS5 table `register_search` (bm25 ranking). PostgreSQL: `register_search.document`
(tsvector, GIN index, ts_rank). Migration 0005 creates both and the triggers that keep them in
sync with register_entry.

Whatever a visitor types is reduced here to words of letters and digits, each quoted or bound
as a value: no text of theirs ever reaches the FTS5 or tsquery syntax, so quotes, `*`, `NEAR`,
`-`, parentheses or SQL fragments are plain words, and any input yields results or none.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from engine.models import RegisterEntry, RegisterStatus
from engine.publication import CATEGORY_LABELS
from engine.register_fiche import aware, certifier_names, status_label

SORTS = ("pertinence", "date")
PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
# A search box holds a few words: the rest of a 10 kB paste is ignored, not an error.
MAX_QUERY_CHARS = 300
MAX_WORDS = 10
MAX_WORD_CHARS = 60
# The last word matches as a prefix ("électri" finds "électricité") once it has this length.
MIN_PREFIX_CHARS = 3
# bm25 weights per FTS5 column: numero, intitule, certificateurs, competences.
SQLITE_WEIGHTS = (10.0, 5.0, 2.0, 1.0)
WORD = re.compile(r"[^\W_]+")

_fts = sa.table(
    "register_search",
    sa.column("rowid", sa.Integer),
    sa.column("entry_id", sa.Integer),
    sa.column("document"),
)
_FTS_NAME: sa.ColumnClause[Any] = sa.literal_column("register_search")
_FRENCH: sa.ColumnClause[Any] = sa.literal_column("'french'::regconfig")
_SIMPLE: sa.ColumnClause[Any] = sa.literal_column("'simple'::regconfig")


@dataclass(frozen=True)
class RegisterHit:
    """One result: what the list shows of an entry."""

    numero: str
    intitule: str
    certificateurs: tuple[str, ...]
    categorie: str
    categorie_label: str
    status: str
    status_label: str
    autorite_legitime: str | None
    decision_at: datetime | None
    start_at: datetime | None
    end_at: datetime | None


@dataclass(frozen=True)
class SearchResult:
    items: list[RegisterHit]
    total: int
    page: int
    pages: int
    per_page: int
    words: tuple[str, ...]
    sort: str


def words_of(query: str) -> tuple[str, ...]:
    """The words searched for: runs of letters and digits, lower case, at most MAX_WORDS."""
    text = unicodedata.normalize("NFKC", query[:MAX_QUERY_CHARS]).lower()
    found: list[str] = []
    for word in WORD.findall(text):
        if len(word) <= MAX_WORD_CHARS and word not in found:
            found.append(word)
    return tuple(found[:MAX_WORDS])


def search(
    session: Session,
    query: str,
    *,
    categorie: str | None = None,
    status: str | None = None,
    autorite: str | None = None,
    sort: str = "pertinence",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResult:
    """One page of the entries matching `query` and the filters (unknown filter values are
    ignored); an empty query lists every entry, most recent decision first."""
    words = words_of(query or "")
    sort = sort if sort in SORTS else SORTS[0]
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conditions = _filters(categorie, status, autorite)
    if not words:
        return _listing(session, conditions, sort, page, per_page)
    if session.get_bind().dialect.name == "postgresql":
        tsquery = _pg_query(words)
        matches = _fts.c.document.op("@@")(tsquery)
        rank: Any = sa.func.ts_rank(_fts.c.document, tsquery).desc()
        key = _fts.c.entry_id
    else:
        matches = _FTS_NAME.op("MATCH")(sa.literal(_fts5_query(words)))
        rank = sa.func.bm25(_FTS_NAME, *(sa.literal_column(str(w)) for w in SQLITE_WEIGHTS))
        key = _fts.c.rowid
    joined = _fts.join(RegisterEntry.__table__, RegisterEntry.id == key)
    count = sa.select(sa.func.count()).select_from(_fts if not conditions else joined)
    total = session.scalar(count.where(matches, *conditions)) or 0
    page, pages = _bounded(page, total, per_page)
    order = [*_by_date()] if sort == "date" else [rank, *_by_date()]
    rows = session.execute(
        _columns()
        .select_from(joined)
        .where(matches, *conditions)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return SearchResult([_hit(row) for row in rows], total, page, pages, per_page, words, sort)


def authorities(session: Session) -> list[str]:
    """The autorités légitimes of the register, for the filter's list."""
    values = session.scalars(
        sa.select(RegisterEntry.autorite_legitime)
        .where(RegisterEntry.autorite_legitime.is_not(None))
        .distinct()
    )
    return sorted((value for value in values if value), key=_sort_key)


def _sort_key(value: str) -> str:
    return "".join(
        char
        for char in unicodedata.normalize("NFKD", value.casefold())
        if not unicodedata.combining(char)
    )


def _listing(
    session: Session, conditions: list[Any], sort: str, page: int, per_page: int
) -> SearchResult:
    total = session.scalar(sa.select(sa.func.count(RegisterEntry.id)).where(*conditions)) or 0
    page, pages = _bounded(page, total, per_page)
    rows = session.execute(
        _columns()
        .where(*conditions)
        .order_by(*_by_date())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return SearchResult([_hit(row) for row in rows], total, page, pages, per_page, (), "date")


def _filters(categorie: str | None, status: str | None, autorite: str | None) -> list[Any]:
    conditions: list[Any] = []
    if categorie in CATEGORY_LABELS:
        conditions.append(RegisterEntry.categorie == categorie)
    if status in set(RegisterStatus):
        conditions.append(RegisterEntry.status == status)
    if autorite:
        conditions.append(RegisterEntry.autorite_legitime == autorite[:300])
    return conditions


def _bounded(page: int, total: int, per_page: int) -> tuple[int, int]:
    pages = max(1, -(-total // per_page))
    return max(1, min(page, pages, MAX_PAGE)), pages


def _by_date() -> tuple[Any, ...]:
    return (RegisterEntry.decision_at.desc().nulls_last(), RegisterEntry.id.desc())


def _columns() -> sa.Select[Any]:
    return sa.select(
        RegisterEntry.numero,
        RegisterEntry.intitule,
        RegisterEntry.certificateurs,
        RegisterEntry.categorie,
        RegisterEntry.status,
        RegisterEntry.autorite_legitime,
        RegisterEntry.decision_at,
        RegisterEntry.start_at,
        RegisterEntry.end_at,
    )


def _hit(row: sa.Row[Any]) -> RegisterHit:
    return RegisterHit(
        numero=row.numero,
        intitule=row.intitule,
        certificateurs=certifier_names(row.certificateurs),
        categorie=row.categorie,
        categorie_label=CATEGORY_LABELS.get(row.categorie, row.categorie),
        status=row.status,
        status_label=status_label(row.status),
        autorite_legitime=row.autorite_legitime,
        decision_at=aware(row.decision_at),
        start_at=aware(row.start_at),
        end_at=aware(row.end_at),
    )


def _fts5_query(words: tuple[str, ...]) -> str:
    """Every word required, each a quoted FTS5 string (never an operator); the last one a
    prefix when long enough."""
    terms = ['"' + word.replace('"', '""') + '"' for word in words]
    if len(words[-1]) >= MIN_PREFIX_CHARS:
        terms[-1] += "*"
    return " ".join(terms)


def _pg_query(words: tuple[str, ...]) -> Any:
    """Every word required: its French stem as typed or without accents, and for the last
    word also the unaccented words it begins (a stop word alone adds no condition)."""
    terms = []
    for position, word in enumerate(words):
        value = sa.literal(word, sa.Text)
        unaccented = sa.func.register_search_unaccent(value)
        options = [
            sa.func.plainto_tsquery(_FRENCH, value),
            sa.func.plainto_tsquery(_FRENCH, unaccented),
        ]
        if position == len(words) - 1 and len(word) >= MIN_PREFIX_CHARS:
            prefix = sa.func.concat(unaccented, sa.literal(":*", sa.Text))
            options.append(sa.func.to_tsquery(_SIMPLE, prefix))
        terms.append(sa.Grouping(reduce(_tsquery_op("||"), options)))
    return reduce(_tsquery_op("&&"), terms)


def _tsquery_op(operator: str) -> Any:
    return lambda left, right: left.op(operator, return_type=TSQUERY)(right)
