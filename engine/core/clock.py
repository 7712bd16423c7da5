"""The one clock of the engine (timezone-aware UTC, so tests can move it with freezegun), the
one Paris zone, and French dates as people read them."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The procedure's time: deadlines, session dates and every date shown are Paris time.
PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC (how the database stores them)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def french_date(moment: datetime | None) -> str:
    """« 27/11/2026 », Paris time; empty for None."""
    return moment.astimezone(PARIS).strftime("%d/%m/%Y") if moment else ""


def french_time(moment: datetime) -> str:
    """« 14 h 05 », Paris time."""
    return moment.astimezone(PARIS).strftime("%H h %M")


def french_moment(moment: datetime) -> str:
    """« 27/11/2026 à 14 h 05 », Paris time."""
    return f"{french_date(moment)} à {french_time(moment)}"


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has no such day), Paris time."""
    local = moment.astimezone(PARIS)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def add_months_to_date(day: date, months: int) -> date:
    """A calendar date `months` months later (earlier when negative), or the month's last day
    when it has no such day (31 August + 6 months → 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))
