"""The database: SQLAlchemy 2.0 typed models (docs/architecture.md says why each table exists)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from engine.core.clock import as_utc, utcnow

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


class OrganisationKind(StrEnum):
    MINISTERE = "ministere"
    CPNE = "cpne"
    ORGANISATION_CNCP = "organisation_cncp"
    CERTIFICATEUR = "certificateur"


ORGANISATION_KIND_LABELS = {
    OrganisationKind.MINISTERE: "Département ministériel",
    OrganisationKind.CPNE: "CPNE d'une branche professionnelle",
    OrganisationKind.ORGANISATION_CNCP: "Organisation à voix délibérative à la CNCP",
    OrganisationKind.CERTIFICATEUR: "Organisme certificateur (mandaté)",
}


class RoleName(StrEnum):
    DEMANDEUR = "demandeur"
    RECEVABILITE = "recevabilite"
    RAPPORTEUR = "rapporteur"
    COMMISSION = "commission"
    PROPRIETAIRE = "proprietaire"
    ADMIN = "admin"


ROLE_LABELS = {
    RoleName.DEMANDEUR: "Demandeur",
    RoleName.RECEVABILITE: "Secrétariat / recevabilité",
    RoleName.RAPPORTEUR: "Rapporteur",
    RoleName.COMMISSION: "Formation restreinte / commission",
    RoleName.PROPRIETAIRE: "Propriétaire du processus",
    RoleName.ADMIN: "Administrateur",
}


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    siret: Mapped[str | None] = mapped_column(String(14))
    # A certifier files on behalf of an autorité légitime: the mandating organisation.
    mandant_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mandant: Mapped[Organisation | None] = relationship(remote_side=[id])


class Role(Base):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(
        ForeignKey("role.id", ondelete="CASCADE"), primary_key=True
    )


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    roles: Mapped[list[Role]] = relationship(secondary="user_role", lazy="selectin")

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(role.name for role in self.roles)


class ProcessVersionStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class ProcessVersion(Base):
    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    # {"recensement.bpmn": "<xml…>", "forms/x.schema.json": "{…}", "process.json": "{…}"}
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    # SpiffWorkflow's serialized spec (JSON text), stored once per version, never per instance.
    spec: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ProcessVersionStatus.ACTIVE)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstanceStatus(StrEnum):
    """The technical state; the French status label a user reads is `Instance.status_label`."""

    RUNNING = "running"
    COMPLETED = "completed"
    ERROR = "error"


class Instance(Base):
    __tablename__ = "instance"
    __table_args__ = (
        Index("ix_instance_org_updated", "organisation_id", "updated_at"),
        Index("ix_instance_status_label", "status_label"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=InstanceStatus.RUNNING)
    status_label: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300), default="")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Spec-less SpiffWorkflow state (see engine/spiff.py) and our own schema version beside it.
    state: Mapped[str] = mapped_column(Text)
    state_format: Mapped[int] = mapped_column(Integer, default=1)
    end_event: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    date_depot: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    process_version: Mapped[ProcessVersion] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

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

    actor: Mapped[User | None] = relationship()


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


class Document(Base):
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


class RegisterStatus(StrEnum):
    """A certification's statut in the register (domain words: docs/glossary.md)."""

    ACTIVE = "active"
    ECHUE = "echue"
    RETIREE = "retiree"


REGISTER_STATUS_LABELS = {
    RegisterStatus.ACTIVE: "Active",
    RegisterStatus.ECHUE: "Échue",
    RegisterStatus.RETIREE: "Retirée",
}


class RegisterEntry(Base):
    """One certification of the public register (France compétences' fiche, our fields)."""

    __tablename__ = "register_entry"
    __table_args__ = (
        Index("ix_register_entry_statut", "statut", "date_decision"),
        Index("ix_register_entry_numero_precedent", "numero_precedent"),
        Index("ix_register_entry_precedente_id", "precedente_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    numero: Mapped[str] = mapped_column(String(20), unique=True)
    intitule: Mapped[str] = mapped_column(String(500))
    categorie: Mapped[str] = mapped_column(String(1))
    # {"certificateurs": [{"nom", "siret", "etat"}…]}
    certificateurs: Mapped[dict[str, Any]] = mapped_column(JSON)
    autorite_legitime: Mapped[str | None] = mapped_column(String(300))
    # The public fields of the fiche (objectives, competences, codes…), see engine/publication.py.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    date_decision: Mapped[datetime | None] = mapped_column()
    debut_validite: Mapped[datetime | None] = mapped_column()
    fin_validite: Mapped[datetime | None] = mapped_column()
    statut: Mapped[str] = mapped_column(String(16), default=RegisterStatus.ACTIVE)
    statut_change_le: Mapped[datetime | None] = mapped_column()
    motif_retrait: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"), unique=True)
    # The entry this one renews (its fiche précédente), when it is in this register.
    precedente_id: Mapped[int | None] = mapped_column(ForeignKey("register_entry.id"))
    # The renewal chain by number: kept even when the previous fiche is not in this register.
    numero_precedent: Mapped[str | None] = mapped_column(String(20))
    # "inventaire" (published by the procedure) or "import" (France compétences' export).
    source: Mapped[str] = mapped_column(String(16), default="inventaire")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Counter(Base):
    """Monotonic counters for references (INV-2026-00042) and register numbers, never reused."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ProcessDraft(Base):
    """The version a process owner is editing in the studio: one shared draft per process."""

    __tablename__ = "process_draft"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class LoginThrottle(Base):
    """Failed sign-ins counted per account typed and per client address (engine/login_throttle.py).

    The key is a hash of "compte:<email>" or "adresse:<ip>": what was typed (an unknown address,
    sometimes a password typed in the wrong field) is not kept.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_updated_at", "updated_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column()
    # No attempt is checked before this time (a delay, or a lock after too many failures).
    blocked_until: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A signed-in browser (engine/user_sessions.py): the cookie carries a random token, this row
    its hash. Signing out deletes the row, so a copied cookie opens nothing afterwards."""

    __tablename__ = "user_session"
    __table_args__ = (
        Index("ix_user_session_user_id", "user_id"),
        Index("ix_user_session_last_seen_at", "last_seen_at"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most once a minute (SQLite has one writer): idle expiry is that precise.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
