"""What a job handler receives, and the registry of handlers by job kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from engine.models import Job

if TYPE_CHECKING:
    from engine.mailer import SmtpSettings


@dataclass
class JobRun:
    """One execution of a job, inside the transaction the worker opened for it."""

    session: Session
    job: Job
    smtp: SmtpSettings | None = None

    def commit_intent(self) -> None:
        """Commit what is written so far, before an effect outside the database (SMTP).

        The job stays `running` under this worker's lease; its end is written by the next
        commit. Only the SMTP path needs this.
        """
        self.session.commit()


Handler = Callable[[JobRun], str]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[str(kind)] = function
        return function

    return register
