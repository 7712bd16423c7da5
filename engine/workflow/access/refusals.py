"""A refused action: the error it raises and the French message the user reads."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.core.errors import Conflict, InventaireError
from engine.workflow.conflicts import conflict_message


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: the error it raises and the message the user reads."""

    error: type[InventaireError]
    message: str = ""
    # A task someone else took or finished: the message, read when raised, says who and when.
    raced_item_id: int | None = None

    def exception(self, session: Session) -> InventaireError:
        if self.raced_item_id is not None:
            message = conflict_message(session, self.raced_item_id)
            return Conflict(message, work_item_id=self.raced_item_id)
        return self.error(self.message)


def enforce(session: Session, refusal: Refusal | None) -> None:
    """The action's side of a rule: go on when allowed, else raise the refusal's error."""
    if refusal is not None:
        raise refusal.exception(session)
