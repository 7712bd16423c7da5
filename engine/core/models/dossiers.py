"""Dossiers (instances of a process), their work items, what was filed, the trail, the pieces,
and the counters behind references."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id

if TYPE_CHECKING:
    from engine.core.models.accounts import Organisation, User
    from engine.core.models.processes import ProcessVersion


class InstanceStatus(StrEnum):
    """The technical state; the French status label a user reads is `Instance.status_label`."""

    RUNNING = "running"
    COMPLETED = "completed"
    ERROR = "error"


class Instance(Base):
    __tablename__ = "instance"
    __table_args__ = (
        Index("ix_instance_org_updated", "organisation_id", "updated_at"),
        # *Tous les dossiers*, most recently changed first: read in order, with or without a
        # status filter (migration 0028); the statistics count the statuses from the second.
        Index("ix_instance_updated", "updated_at", "id"),
        Index("ix_instance_status_updated", "status_label", "updated_at", "id"),
        # The statistics (engine.workflow.statistics), read from these indexes alone: requests
        # filed per year; decisions (completed dossiers) per year, outcome and delay.
        Index("ix_instance_depot", "date_depot"),
        Index("ix_instance_decisions", "status", "updated_at", "date_depot", "status_label"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=InstanceStatus.RUNNING)
    status_label: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300), default="")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Spec-less SpiffWorkflow state (engine/bpmn/serialization.py), our schema version beside it.
    state: Mapped[str] = mapped_column(Text)
    state_format: Mapped[int] = mapped_column(Integer, default=1)
    end_event: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    date_depot: Mapped[datetime | None] = mapped_column()
    # The latest contact address filed (the form's `contact_courriel`): letters to the
    # submitter's side go to it too, without reading the submissions.
    contact_courriel: Mapped[str | None] = mapped_column(String(254))
    # Retention (engine/workflow/retention.py): when the owner of an abandoned draft was told
    # it would be deleted; when a closed dossier's personal data was anonymised.
    retention_avis_at: Mapped[datetime | None] = mapped_column()
    anonymised_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    process_version: Mapped[ProcessVersion] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    # Read only, and only by the work-item projection (engine.workflow.assignment), when an
    # action loaded them with its dossier in one query (engine.workflow.lookup).
    open_items: Mapped[list[WorkItem]] = relationship(
        primaryjoin="and_(WorkItem.instance_id == Instance.id, WorkItem.status == 'open')",
        viewonly=True,
        lazy="raise",
    )

    # Optimistic locking: every UPDATE checks and bumps lock_version (StaleDataError if lost).
    __mapper_args__ = {"version_id_col": lock_version}


class WorkItemStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class WorkItem(Base):
    """One row per ready human task: inboxes query this table only."""

    __tablename__ = "work_item"
    __table_args__ = (
        # The inbox: its page read in order, its counts per step without reading the table.
        Index("ix_work_item_queue", "status", "role", "claimed_by_id", "created_at", "id"),
        Index(
            "ix_work_item_counts",
            "status",
            "role",
            "claimed_by_id",
            "task_spec",
            "task_title",
            "assignee_id",
            "organisation_id",
        ),
        Index("ix_work_item_assignee", "status", "assignee_id"),
        Index("ix_work_item_claimed", "status", "claimed_by_id"),
        Index("ix_work_item_instance", "instance_id", "status"),
        # The steps where tasks wait, one index descent each (worklists/steps.py).
        Index("ix_work_item_steps", "status", "task_spec", "task_title"),
        # The dossiers ready for a séance, in their order of arrival (seances.inscription).
        Index("ix_work_item_form", "status", "form", "created_at", "id"),
        # The statistics' delays per step: the completed steps of a period, without the table.
        Index("ix_work_item_completed", "status", "completed_at", "task_title", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    task_spec: Mapped[str] = mapped_column(String(100))
    task_title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    form: Mapped[str | None] = mapped_column(String(200))
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    due_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=WorkItemStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    instance: Mapped[Instance] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class Submission(Base):
    """What a user filed at a task: the whole form, including the dossier-only fields."""

    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_instance", "instance_id", "submitted_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_item.id"))
    task_spec: Mapped[str] = mapped_column(String(100))
    task_title: Mapped[str] = mapped_column(String(300))
    form: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    submitted_by: Mapped[User | None] = relationship()


class AuditEvent(Base):
    """Append-only trail, written in the same transaction as the change it records."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_instance", "instance_id", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    task_spec: Mapped[str | None] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The chains (engine/core/audit_chain.py, docs/operations.md « Journal d'audit »): set by
    # the linker after the commit, in one sequence across dossiers; None until linked.
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    prev_dossier_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    # A deleted draft's events: their content blanked, their linked hashes kept.
    redacted_at: Mapped[datetime | None] = mapped_column()

    actor: Mapped[User | None] = relationship()


class AuditSeal(Base):
    """A seal: the global chain's head (its position and hash) signed with the operator's key."""

    __tablename__ = "audit_seal"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    chain_seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))


class Document(Base):
    """A pièce of a dossier: uploaded by someone, or generated by the platform (a letter, an
    attestation: `modele` names its template, `libelle` says what it is)."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_instance", "instance_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # Pieces uploaded to a draft belong to its instance from the start.
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    field: Mapped[str | None] = mapped_column(String(100))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A generated document (engine/pdf): its template (`decision`) and what it is, as the
    # pieces list labels it (« Lettre de décision »); None for an uploaded piece.
    modele: Mapped[str | None] = mapped_column(String(60))
    libelle: Mapped[str | None] = mapped_column(String(200))


class Counter(Base):
    """Monotonic counters for references (INV-2026-00042, RS-DEM-2026-00007) and register numbers,
    never reused."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
