"""Full-text search of the public register, with the database's own engine.

Migration 0005 keeps, per entry, a narrow row of `register_search` (catégorie, statut,
autorité légitime, date de décision: the names 0008 gave them; the registre since 0009) and the
words: SQLite's FTS5
table `register_search_text` (ranked by bm25 over the number, title, certifiers and
competences), PostgreSQL's `register_search.document` (GIN; ranked by ts_rank over `head`:
number, title, certifiers).
Counting and paging read those narrow rows; register_entry is read for the page shown only.
Each process keeps the first `KEPT_IDS` results of its recent searches, and the autorités,
for the register's state (engine.register.remembered): paging through a search, or the same
search again, reads only the page's entries until the register changes.

Whatever a visitor types is reduced here to words of letters and digits, each quoted or bound
as a value: no text of theirs ever reaches the FTS5 or tsquery syntax, so quotes, `*`, `NEAR`,
`-`, parentheses or SQL fragments are plain words, and any input yields results or none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from engine.core.models import RegisterEntry, RegisterStatus, Registre
from engine.register.fiche_page import certifier_names, registre_label, statut_label
from engine.register.publication import CATEGORY_LABELS
from engine.register.remembered import Remembered
from engine.register.version import RegisterState

SORTS = ("pertinence", "date")
PER_PAGE = 20
# The results kept per search (the first ten pages), and the searches kept per process.
KEPT_IDS = 200
KEPT_SEARCHES = 256
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

_search = sa.table(
    "register_search",
    sa.column("entry_id", sa.BigInteger),
    sa.column("categorie", sa.String),
    sa.column("statut", sa.String),
    sa.column("autorite", sa.String),
    sa.column("date_decision", sa.DateTime),
    sa.column("registre", sa.String),
    sa.column("head"),
    sa.column("document"),
)
# SQLite: FTS5 first, then the narrow row of each match (CROSS JOIN fixes that order: probing
# the FTS index once per filtered row instead takes seconds).
SQLITE_MATCHES = (
    "register_search_text CROSS JOIN register_search "
    "ON register_search.entry_id = register_search_text.rowid"
)
_FRENCH: sa.ColumnClause[Any] = sa.literal_column("'french'::regconfig")
_SIMPLE: sa.ColumnClause[Any] = sa.literal_column("'simple'::regconfig")


# The ids of a page in order, the total, the page (bounded), the number of pages.
Found = tuple[list[int], int, int, int]
Finder = Callable[[Session, tuple[str, ...], dict[str, str], str, int, int], Found]


@dataclass(frozen=True)
class RegisterHit:
    """One result: what the list shows of an entry."""

    numero: str
    intitule: str
    certificateurs: tuple[str, ...]
    registre: str
    registre_label: str
    # "" for a Répertoire spécifique entry: it has no category.
    categorie: str
    categorie_label: str
    statut: str
    statut_label: str
    autorite_legitime: str | None
    date_decision: datetime | None
    debut_validite: datetime | None
    fin_validite: datetime | None


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
    statut: str | None = None,
    autorite: str | None = None,
    registre: str | None = None,
    sort: str = "pertinence",
    page: int = 1,
    per_page: int = PER_PAGE,
    state: RegisterState | None = None,
) -> SearchResult:
    """One page of the entries matching `query` and the filters (unknown filter values are
    ignored); an empty query lists every entry, most recent decision first. `state`: the
    register's, when the caller has read it."""
    words = words_of(query or "")
    sort = "date" if not words else sort if sort in SORTS else "pertinence"
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    filters = _filters(categorie, statut, autorite, registre)
    found: Finder
    if not words:
        found = _listing
    elif session.get_bind().dialect.name == "postgresql":
        found = _postgresql
    else:
        found = _sqlite

    def first_results() -> tuple[tuple[int, ...], int]:
        ids, total, _page, _pages = found(session, words, filters, sort, 1, KEPT_IDS)
        return tuple(ids), total

    key = (words, tuple(sorted(filters.items())), sort)
    kept, total = _SEARCHES.get(session, state, key, first_results)
    page, pages = _bounded(page, total, per_page)
    start = (page - 1) * per_page
    if start + per_page <= len(kept) or len(kept) == total:
        ids = list(kept[start : start + per_page])
    else:  # past the pages kept
        ids, total, page, pages = found(session, words, filters, sort, page, per_page)
    return SearchResult(_hits(session, ids), total, page, pages, per_page, words, sort)


_SEARCHES: Remembered[tuple[tuple[int, ...], int]] = Remembered(KEPT_SEARCHES)
_AUTHORITIES: Remembered[list[str]] = Remembered(1)


def forget_kept() -> None:
    """Forget the searches and autorités this process kept (the bench times searches anew)."""
    _SEARCHES.forget()
    _AUTHORITIES.forget()


# The distinct values by hopping through the index (one probe per autorité) rather than
# reading its 50,000 entries: every page of the search shows this list.
AUTHORITIES = sa.text(
    "WITH RECURSIVE found(autorite) AS ("
    "SELECT min(autorite) FROM register_search "
    "UNION ALL SELECT (SELECT min(autorite) FROM register_search "
    "WHERE autorite > found.autorite) FROM found WHERE found.autorite IS NOT NULL) "
    "SELECT autorite FROM found WHERE autorite IS NOT NULL"
)


def authorities(session: Session, state: RegisterState | None = None) -> list[str]:
    """The autorités légitimes of the register, for the filter's list."""

    def read() -> list[str]:
        values = session.scalars(AUTHORITIES)
        return sorted((value for value in values if value), key=_sort_key)

    return list(_AUTHORITIES.get(session, state, "autorites", read))


def _sort_key(value: str) -> str:
    return "".join(
        char
        for char in unicodedata.normalize("NFKD", value.casefold())
        if not unicodedata.combining(char)
    )


def _listing(
    session: Session,
    _words: tuple[str, ...],
    filters: dict[str, str],
    _sort: str,
    page: int,
    per_page: int,
) -> Found:
    conditions = [_search.c[column] == value for column, value in filters.items()]
    total = session.scalar(sa.select(sa.func.count()).select_from(_search).where(*conditions))
    page, pages = _bounded(page, total or 0, per_page)
    ids = session.scalars(
        sa.select(_search.c.entry_id)
        .where(*conditions)
        .order_by(*_by_date(session))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(ids), total or 0, page, pages


def _postgresql(
    session: Session,
    words: tuple[str, ...],
    filters: dict[str, str],
    sort: str,
    page: int,
    per_page: int,
) -> Found:
    tsquery = _pg_query(words)
    conditions = [
        _search.c.document.op("@@")(tsquery),
        *(_search.c[column] == value for column, value in filters.items()),
    ]
    # The rank is computed below the window (OFFSET 0 keeps the planner from merging the two):
    # else the window would store every match's `head` to rank it afterwards.
    columns: list[Any] = [_search.c.entry_id, _search.c.date_decision]
    if sort == "pertinence":
        columns.append(sa.func.ts_rank(_search.c.head, tsquery).label("rank"))
    matches = sa.select(*columns).where(*conditions).offset(0).subquery()
    order: list[Any] = [matches.c.date_decision.desc().nulls_last(), matches.c.entry_id.desc()]
    if sort == "pertinence":
        order.insert(0, matches.c.rank.desc())

    def fetch(page: int) -> list[sa.Row[Any]]:
        return list(
            session.execute(
                sa.select(matches.c.entry_id, sa.func.count().over().label("total"))
                .order_by(*order)
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        )

    def count() -> int:
        statement = sa.select(sa.func.count()).select_from(_search).where(*conditions)
        return session.scalar(statement) or 0

    # A common word matches most entries, and the planner then reads every row rather than
    # the GIN index: several times slower, as testing @@ on each row costs more than it thinks.
    # Custom plans: psycopg prepares a statement run often, and a generic plan would build
    # the tsquery again for every row instead of folding it once into a constant.
    # (Should a query fail, the rollback undoes SET LOCAL.) Each pair in one round trip: a
    # statement without parameters may hold several.
    session.execute(_SEARCH_SETTINGS)
    found = _counted(fetch, count, page, per_page)
    session.execute(_RESET_SETTINGS)
    return found


_SEARCH_SETTINGS = sa.text(
    "SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_custom_plan"
)
_RESET_SETTINGS = sa.text("RESET enable_seqscan; RESET plan_cache_mode")


def _sqlite(
    session: Session,
    words: tuple[str, ...],
    filters: dict[str, str],
    sort: str,
    page: int,
    per_page: int,
) -> Found:
    # Column names come from _filters' fixed list; every value is a bound parameter.
    where = " AND ".join(
        ["register_search_text MATCH :match"]
        + [f"register_search.{column} = :{column}" for column in filters]
    )
    params: dict[str, Any] = {"match": _fts5_query(words), **filters}
    ranked = sort == "pertinence"
    # bm25 over the matches is the costly part (about 1 µs each): the narrow rows are joined
    # only when a filter or the date order needs them.
    if filters or not ranked:
        source, key = SQLITE_MATCHES, "register_search.entry_id"
        then = "register_search.date_decision DESC, register_search.entry_id DESC"
    else:  # ties of bm25 are rare: the newest entry first
        source, key = "register_search_text", "register_search_text.rowid"
        then = "register_search_text.rowid DESC"
    weights = ", ".join(str(weight) for weight in SQLITE_WEIGHTS)
    order = f"bm25(register_search_text, {weights}), {then}" if ranked else then
    total = session.scalar(sa.text(f"SELECT count(*) FROM {source} WHERE {where}"), params) or 0
    page, pages = _bounded(page, total, per_page)
    ids = session.scalars(
        sa.text(
            f"SELECT {key} FROM {source} WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"
        ),
        params | {"limit": per_page, "offset": (page - 1) * per_page},
    )
    return [int(entry_id) for entry_id in ids], total, page, pages


def _counted(
    fetch: Callable[[int], list[sa.Row[Any]]], count: Callable[[], int], page: int, per_page: int
) -> Found:
    """The page and the total read in one pass (count(*) OVER () beside each id): matching
    is the costly part of a search, done once. Past the last page: the count, then the last."""
    page = max(1, min(page, MAX_PAGE))
    rows = fetch(page)
    if rows:
        total = int(rows[0].total)
    else:
        total = count() if page > 1 else 0
        last = max(1, -(-total // per_page))
        if total and page > last:
            page = last
            rows = fetch(page)
    page, pages = _bounded(page, total, per_page)
    return [int(row.entry_id) for row in rows], total, page, pages


def _filters(
    categorie: str | None, statut: str | None, autorite: str | None, registre: str | None
) -> dict[str, str]:
    """register_search's columns to compare, for the values that can match at all."""
    filters: dict[str, str] = {}
    if registre in {member.value for member in Registre}:
        filters["registre"] = registre
    if categorie in CATEGORY_LABELS:
        filters["categorie"] = categorie
    if statut in {member.value for member in RegisterStatus}:
        filters["statut"] = statut
    if autorite:
        filters["autorite"] = autorite[:300]
    return filters


def _bounded(page: int, total: int, per_page: int) -> tuple[int, int]:
    pages = max(1, -(-total // per_page))
    return max(1, min(page, pages, MAX_PAGE)), pages


def _by_date(session: Session) -> tuple[Any, ...]:
    """Most recent decision first, entries without one last (as the decision indexes run)."""
    decision = _search.c.date_decision.desc()
    if session.get_bind().dialect.name == "postgresql":
        decision = decision.nulls_last()
    return decision, _search.c.entry_id.desc()


def _hits(session: Session, ids: list[int]) -> list[RegisterHit]:
    """The entries of the page, in the order found."""
    if not ids:
        return []
    rows = session.execute(
        sa.select(
            RegisterEntry.id,
            RegisterEntry.numero,
            RegisterEntry.intitule,
            RegisterEntry.certificateurs,
            RegisterEntry.registre,
            RegisterEntry.categorie,
            RegisterEntry.statut,
            RegisterEntry.autorite_legitime,
            RegisterEntry.date_decision,
            RegisterEntry.debut_validite,
            RegisterEntry.fin_validite,
        ).where(RegisterEntry.id.in_(ids))
    )
    by_id = {row.id: _hit(row) for row in rows}
    return [by_id[entry_id] for entry_id in ids if entry_id in by_id]


def _hit(row: sa.Row[Any]) -> RegisterHit:
    return RegisterHit(
        numero=row.numero,
        intitule=row.intitule,
        certificateurs=certifier_names(row.certificateurs),
        registre=row.registre,
        registre_label=registre_label(row.registre),
        categorie=row.categorie,
        categorie_label=CATEGORY_LABELS.get(row.categorie, row.categorie),
        statut=row.statut,
        statut_label=statut_label(row.statut),
        autorite_legitime=row.autorite_legitime,
        date_decision=row.date_decision,
        debut_validite=row.debut_validite,
        fin_validite=row.fin_validite,
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
            # || rather than concat(): immutable, so the whole tsquery is folded to a constant
            # before planning and the GIN index can serve it.
            prefix = unaccented.op("||", return_type=sa.Text)(sa.literal(":*", sa.Text))
            options.append(sa.func.to_tsquery(_SIMPLE, prefix))
        terms.append(sa.Grouping(reduce(_tsquery_op("||"), options)))
    return reduce(_tsquery_op("&&"), terms)


def _tsquery_op(operator: str) -> Any:
    return lambda left, right: left.op(operator, return_type=TSQUERY)(right)
