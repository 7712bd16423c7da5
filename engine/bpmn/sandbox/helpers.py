"""The helpers diagram code may call, in French: dates and durations for timers and deadlines.

Time comes from engine.core.clock (the engine's one clock and its one Paris zone), which imports
nothing heavy: the sandbox processes load this module too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from engine.core.clock import PARIS, add_months_to_date, utcnow


def _today() -> date:
    """Today in France: a deadline counted from « aujourd'hui » at 00:30 is today's, not
    yesterday's (the UTC date)."""
    return utcnow().astimezone(PARIS).date()


def _now() -> datetime:
    return utcnow()


def _add_days(value: date | datetime | str, days: int) -> str:
    """Date arithmetic for process owners: ISO text in, ISO text out."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return (value + timedelta(days=days)).isoformat()


def _add_months(value: date | datetime | str, months: int) -> str:
    """The same day `months` months later (the month's last day when it has none), ISO text."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    day = value.date() if isinstance(value, datetime) else value
    return add_months_to_date(day, int(months)).isoformat()


def _paris_time(day: date | datetime | str, wall_clock: str = "09:00") -> str:
    """A day at a Paris wall-clock time, as ISO text with its offset (summer or winter time).

    Timer dates need a time zone; this one follows daylight saving, a fixed "+01:00" would not.
    """
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    hour, _, minute = wall_clock.partition(":")
    moment = datetime(day.year, day.month, day.day, int(hour), int(minute or 0), tzinfo=PARIS)
    return moment.isoformat()


def _days(count: int) -> str:
    """A duration of whole days for timers: 30 → "P30D"."""
    return f"P{int(count)}D"


HELPERS: dict[str, Any] = {
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
    "timezone": timezone,
    "aujourdhui": _today,
    "maintenant": _now,
    "ajouter_jours": _add_days,
    "ajouter_mois": _add_months,
    "heure_de_paris": _paris_time,
    "duree_en_jours": _days,
    "True": True,
    "False": False,
    "None": None,
}
