"""Jobs (due timers and side effects) and the emails sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    # After its last attempt: an incident the admin pages list, with *Relancer*.
    FAILED = "failed"
    # A timer whose task is gone (the submitter answered before the deadline).
    CANCELLED = "cancelled"


JOB_STATUS_LABELS = {
    JobStatus.PENDING: "Programmée",
    JobStatus.RUNNING: "En cours",
    JobStatus.DONE: "Faite",
    JobStatus.FAILED: "Incident",
    JobStatus.CANCELLED: "Annulée",
}


class Job(Base):
    """A due timer or a side effect, written in the transaction of the change that causes it."""

    __tablename__ = "job"
    __table_args__ = (
        # The worker's claim reads this index only: due jobs, oldest first.
        Index("ix_job_due", "status", "run_at"),
        Index("ix_job_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the job does, in French, for the admin pages ("Délai de compléments", "Courriel…").
    label: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class EmailStatus(StrEnum):
    # No SMTP server configured: the email stays here, readable in the admin pages.
    OUTBOX = "outbox"
    # Handed to SMTP in progress: committed before the SMTP call, so a crash leaves a trace.
    SENDING = "sending"
    SENT = "sent"
    # The worker died during the SMTP call: never sent again automatically (at most once).
    UNCERTAIN = "uncertain"


EMAIL_STATUS_LABELS = {
    EmailStatus.OUTBOX: "Dans la boîte d'envoi",
    EmailStatus.SENDING: "Envoi en cours",
    EmailStatus.SENT: "Envoyé",
    EmailStatus.UNCERTAIN: "Envoi incertain (interrompu)",
}


class Email(Base):
    """Every email the platform sends, once per idempotency key."""

    __tablename__ = "email"
    __table_args__ = (Index("ix_email_instance", "instance_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    template: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=EmailStatus.OUTBOX)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
