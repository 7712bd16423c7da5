"""Each process keeps the first pages of its recent register searches (and the autorités of
the filter) for the register's state: paging or searching again reads only the page's
entries, shows what a search from scratch shows, and follows every change of the register."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlalchemy.orm import Session

from engine.core.models import RegisterEntry
from engine.register import search as register_search
from engine.register.search import KEPT_IDS, PER_PAGE, authorities, search
from tests.integration.test_register_public import add_entry, at

MATCHING = KEPT_IDS + 2 * PER_PAGE + 7  # past the pages kept


@pytest.fixture
def many(session: Session) -> None:
    for number in range(1, MATCHING + 1):
        add_entry(
            session,
            f"INV{number:05d}",
            # Titles of three weights for one word: ranked, with ties broken by the date.
            "Soudure " * (1 + number % 3) + f"n° {number}",
            date_decision=at(f"{number % 28 + 1:02d}/{number % 12 + 1:02d}/{2000 + number % 20}"),
            autorite_legitime=f"CPNE {number % 4}",
        )
    session.commit()


@pytest.fixture
def statements(db_engine: Engine) -> Iterator[list[str]]:
    run: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            run.append(statement)

    event.listen(db_engine, "before_cursor_execute", seen)
    yield run
    event.remove(db_engine, "before_cursor_execute", seen)


def numbers(session: Session, **options: Any) -> tuple[list[str], int, int]:
    found = search(session, options.pop("q", "soudure"), **options)
    return [hit.numero for hit in found.items], found.total, found.page


def from_scratch(session: Session, **options: Any) -> tuple[list[str], int, int]:
    register_search._SEARCHES.forget()
    return numbers(session, **options)


@pytest.mark.parametrize("sort", ["pertinence", "date"])
def test_every_page_shows_what_a_search_from_scratch_shows(
    session: Session, many: None, sort: str
) -> None:
    last = -(-MATCHING // PER_PAGE)
    for page in [*range(1, last + 1), last + 5]:
        expected = from_scratch(session, sort=sort, page=page)
        assert numbers(session, sort=sort, page=page) == expected, page  # after page 1
        register_search._SEARCHES.forget()
        numbers(session, sort=sort)  # kept from page 1
        assert numbers(session, sort=sort, page=page) == expected, page
    assert (
        len(set().union(*(numbers(session, sort=sort, page=p)[0] for p in range(1, last + 1))))
        == MATCHING
    )
    for per_page in (7, 50, 100):  # the API's pages
        for page in (1, 3, 5):
            expected = from_scratch(session, sort=sort, page=page, per_page=per_page)
            numbers(session, sort=sort)
            assert numbers(session, sort=sort, page=page, per_page=per_page) == expected


def test_filters_and_listing_are_kept_apart(session: Session, many: None) -> None:
    for options in (
        {"autorite": "CPNE 1"},
        {"q": "", "autorite": "CPNE 2"},
        {"q": ""},
        {"q": "soudure", "statut": "echue"},
    ):
        expected = from_scratch(session, **options)
        numbers(session)
        assert numbers(session, **options) == expected, options


def test_paging_reads_only_the_page_s_entries(
    session: Session, many: None, statements: list[str]
) -> None:
    numbers(session)
    authorities(session)
    statements.clear()
    numbers(session, page=2)
    assert authorities(session) == ["CPNE 0", "CPNE 1", "CPNE 2", "CPNE 3"]
    # The register's state (twice: search, autorités), then the page's 20 entries.
    assert len(statements) == 3, statements
    assert sum("register_version" in statement for statement in statements) == 2


def test_a_change_of_the_register_is_seen_at_once(session: Session, many: None) -> None:
    before = numbers(session)
    numbers(session, page=2)
    assert authorities(session) == ["CPNE 0", "CPNE 1", "CPNE 2", "CPNE 3"]
    add_entry(
        session,
        "INV09999",
        "Soudure soudure soudure soudure à l'arc",
        date_decision=at("01/01/2030"),
        autorite_legitime="CCI France",
    )
    session.commit()
    after = numbers(session)
    assert after[0][0] == "INV09999" and after[1] == before[1] + 1
    assert authorities(session) == ["CCI France", "CPNE 0", "CPNE 1", "CPNE 2", "CPNE 3"]
    session.execute(
        update(RegisterEntry).where(RegisterEntry.numero == "INV09999").values(statut="retiree")
    )
    session.commit()
    assert numbers(session, statut="retiree")[0] == ["INV09999"]
    assert "INV09999" not in numbers(session, statut="active")[0]
