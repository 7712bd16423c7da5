"""Which state of the register a reader sees: the change counter of migration 0027.

One primary-key read. The number moves forward with every committed change of an entry,
`changed_at` with it; the pair is unique to a database (its first `changed_at` is when the
table was made), so a key built from it never mixes two databases nor two states of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.core.models import RegisterVersion

_READ = sa.select(RegisterVersion.version, RegisterVersion.changed_at).where(
    RegisterVersion.id == 1
)


@dataclass(frozen=True)
class RegisterState:
    version: int
    changed_at: datetime

    @property
    def key(self) -> str:
        """The state as text, for keys and validators."""
        return f"{self.version}.{self.changed_at.timestamp():.6f}"


def register_state(session: Session) -> RegisterState:
    row = session.execute(_READ).one()
    return RegisterState(int(row.version), row.changed_at)
