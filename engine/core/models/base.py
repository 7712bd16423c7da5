"""What every table shares: the naming convention, ids, moments in UTC, the declarative base."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from engine.core.clock import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids on PostgreSQL, plain INTEGER (rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")
# The largest id both columns hold: a larger number sent to the database is an error there.
MAX_ID = 2**63 - 1


def as_id(value: object) -> int | None:
    """An id given by a user (an int, or ASCII digits), or None when it cannot be one.

    "²".isdigit() is true and int() refuses it; 10**30 is an int the database refuses: both
    are None here, so that a lookup by id answers "not found" rather than failing.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
            return None
        value = int(text)
    if not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, always read back as an aware UTC datetime: PostgreSQL keeps the zone, SQLite
    keeps the text without it (written in UTC), so no reader has to guess."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, datetime: UtcDateTime()}
