"""French typography of what people read: the spaces that do not break, numbers, and the filters
that process owners' texts (task instructions, emails) use for dates and numbers.

The convention (docs/glossary.md, *Typography*): a no-break space (U+00A0) before `:` and inside
« »; a narrow no-break space (U+202F) before `;`, `?`, `!` and between the thousands of a
number of five digits or more (`10 000`); `L. 335-6` with a no-break space after the dot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from engine.core.clock import PARIS

NBSP = "\u00a0"  # before « : », inside « »
NNBSP = "\u202f"  # before « ; ? ! », between thousands

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

# Only what HTML collapses: the no-break spaces are not layout, they are meant.
_ASCII_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def one_line(text: str) -> str:
    """The text on one line, runs of ordinary spaces and line breaks made one space; the
    no-break spaces (which `str.split()` would take for spaces) are kept."""
    return _ASCII_SPACES.sub(" ", text).strip(" ")


def number(value: int) -> str:
    """`35 500`, `1 250 000`: thousands apart by a narrow no-break space from five digits on;
    a four-digit number stays whole (`2026`, `1000`), as French typography writes them."""
    digits = str(abs(value))
    if len(digits) >= 5:
        groups: list[str] = []
        while digits:
            digits, groups = digits[:-3], [digits[-3:], *groups]
        digits = NNBSP.join(groups)
    return f"-{digits}" if value < 0 else digits


def long_date(day: date) -> str:
    """`4 décembre 2026`, `1er janvier 2027`: a date as a letter writes it."""
    ordinal = "1er" if day.day == 1 else str(day.day)
    return f"{ordinal} {MONTHS[day.month - 1]} {day.year}"


def long_moment(moment: datetime) -> str:
    """`4 décembre 2026 à 9 h 00`, Paris time."""
    local = moment.astimezone(PARIS)
    return f"{long_date(local.date())} à {local.hour} h {local.minute:02d}"


def _as_day(value: Any) -> date | datetime | None:
    """A date from what process data hold: a date, a datetime, `2026-12-04`, an ISO moment,
    or `04/12/2026` (the dates the engine writes into a dossier's data)."""
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip()
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            pass
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def _blank(value: Any) -> bool:
    # Jinja's Undefined (a variable the dossier lacks) is falsy and prints as nothing.
    return (
        value is None or value == "" or (not value and type(value).__name__.endswith("Undefined"))
    )


def date_filter(value: Any) -> str:
    """`{{ date_seance | date_fr }}` → `4 décembre 2026` (a moment: its day in Paris);
    anything that is not a date is shown as it is."""
    if _blank(value):
        return ""
    found = _as_day(value)
    if found is None:
        return str(value)
    if isinstance(found, datetime):
        return long_date(found.astimezone(PARIS).date() if found.tzinfo else found.date())
    return long_date(found)


def moment_filter(value: Any) -> str:
    """`{{ depose_le | date_heure_fr }}` → `4 décembre 2026 à 14 h 05`, Paris time (a moment
    without a zone is taken as UTC, as the engine stores them); a date alone has no hour."""
    if _blank(value):
        return ""
    found = _as_day(value)
    if found is None:
        return str(value)
    if not isinstance(found, datetime):
        return long_date(found)
    return long_moment(found if found.tzinfo else found.replace(tzinfo=UTC))


def number_filter(value: Any) -> str:
    """`{{ nombre_certifies | nombre }}` → `35 500`; anything that is not a whole number is
    shown as it is."""
    if _blank(value):
        return ""
    try:
        return number(int(str(value).strip()))
    except ValueError:
        return str(value)


# The filters process owners write in task instructions and email templates.
TEXT_FILTERS: dict[str, Callable[[Any], str]] = {
    "date_fr": date_filter,
    "date_heure_fr": moment_filter,
    "nombre": number_filter,
}
