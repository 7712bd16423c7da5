"""The one clock of the engine: timezone-aware UTC, so tests can move it (freezegun)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
