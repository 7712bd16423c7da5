"""What a job handler receives, and what it is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.core.models import Job
from engine.core.settings import SmtpSettings


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


# A handler runs one job in the worker's transaction and says what it did (French, for the
# job's history); it raises to fail the job (retried, then an incident).
Handler = Callable[[JobRun], str]
