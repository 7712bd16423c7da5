"""What runs behind the dossiers, as the administration lists it: incidents, scheduled jobs,
the outbox and its templates, a dossier's jobs and emails (plain rows, never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.errors import NotFound
from engine.core.listing import DossierRef, Page, dossier_ref, paginate
from engine.core.models import (
    EMAIL_STATUS_LABELS,
    JOB_STATUS_LABELS,
    AuditEvent,
    Email,
    Instance,
    InstanceStatus,
    Job,
    JobStatus,
)
from engine.emails.recipients import RECIPIENT_LABELS
from engine.emails.templates import TEMPLATES_FOLDER, templates
from engine.jobs import JOB_KIND_LABELS, jobs_of
from engine.jobs.worker import may_retry

PAGE_SIZE = 50
# Incidents shown on the incidents page; all of them are on the jobs page (paginated).
INCIDENTS_SHOWN = 200
# The jobs page lists what is still to do or needs someone: not the done or cancelled ones.
OPEN_JOB_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED)
# The labels by plain text key (rows hold strings; a kind nobody handles shows as it is).
KIND_TEXT = {str(key): label for key, label in JOB_KIND_LABELS.items()}
JOB_STATUS_TEXT = {str(key): label for key, label in JOB_STATUS_LABELS.items()}
EMAIL_STATUS_TEXT = {str(key): label for key, label in EMAIL_STATUS_LABELS.items()}


@dataclass(frozen=True)
class JobRow:
    id: int
    label: str
    kind_label: str
    status: str
    status_label: str
    run_at: datetime | None
    attempts: int
    last_error: str | None
    finished_at: datetime | None
    lease_owner: str | None
    dossier: DossierRef | None

    @property
    def can_retry(self) -> bool:
        return may_retry(self.status)


@dataclass(frozen=True)
class EmailRow:
    id: int
    recipient: str
    subject: str
    template: str
    status: str
    status_label: str
    created_at: datetime | None
    sent_at: datetime | None
    dossier: DossierRef | None
    body: str = ""


@dataclass(frozen=True)
class TemplateRow:
    name: str
    path: str
    recipient: str
    recipient_label: str
    subject: str
    source: str


@dataclass(frozen=True)
class IncidentEvent:
    at: datetime | None
    summary: str
    dossier: DossierRef | None


@dataclass(frozen=True)
class Incidents:
    blocked: list[tuple[DossierRef, str]]
    failed: list[JobRow]
    failed_total: int
    events: list[IncidentEvent]


@dataclass(frozen=True)
class JobList:
    page: Page[JobRow]
    status: str
    kind: str


@dataclass(frozen=True)
class Outbox:
    page: Page[EmailRow]
    status: str
    # Each status with its label and how many emails are in it.
    statuses: list[tuple[str, str, int]]


@dataclass(frozen=True)
class DossierOperations:
    dossier: DossierRef
    status_label: str
    jobs: list[JobRow]
    emails: list[EmailRow]


def job_row(job: Job, reference: str | None, title: str | None) -> JobRow:
    return JobRow(
        id=job.id,
        label=job.label or job.kind,
        kind_label=KIND_TEXT.get(job.kind, job.kind),
        status=job.status,
        status_label=JOB_STATUS_TEXT.get(job.status, job.status),
        run_at=job.run_at,
        attempts=job.attempts,
        last_error=job.last_error,
        finished_at=job.finished_at,
        lease_owner=job.lease_owner if job.status == JobStatus.RUNNING else None,
        dossier=dossier_ref(job.instance_id, reference, title),
    )


def email_row(email: Email, reference: str | None, title: str | None, *, body: bool) -> EmailRow:
    return EmailRow(
        id=email.id,
        recipient=email.recipient,
        subject=email.subject,
        template=email.template,
        status=email.status,
        status_label=EMAIL_STATUS_TEXT.get(email.status, email.status),
        created_at=email.created_at,
        sent_at=email.sent_at,
        dossier=dossier_ref(email.instance_id, reference, title),
        body=email.body if body else "",
    )


def incidents(session: Session) -> Incidents:
    """Blocked dossiers, failed jobs and the errors of diagrams met while running dossiers."""
    blocked = [
        (DossierRef.of(row.id, row.reference, row.title), row.error_message or "")
        for row in session.execute(
            select(Instance.id, Instance.reference, Instance.title, Instance.error_message)
            .where(Instance.status == InstanceStatus.ERROR)
            .order_by(Instance.updated_at.desc())
        )
    ]
    failed_total = (
        session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.FAILED))
        or 0
    )
    failed = [
        job_row(job, reference, title)
        for job, reference, title in session.execute(
            select(Job, Instance.reference, Instance.title)
            .outerjoin(Instance, Instance.id == Job.instance_id)
            .where(Job.status == JobStatus.FAILED)
            .order_by(Job.finished_at.desc(), Job.id.desc())
            .limit(INCIDENTS_SHOWN)
        )
    ]
    events = [
        IncidentEvent(event.at, event.summary, dossier_ref(event.instance_id, reference, title))
        for event, reference, title in session.execute(
            select(AuditEvent, Instance.reference, Instance.title)
            .join(Instance, Instance.id == AuditEvent.instance_id)
            .where(AuditEvent.kind == "incident")
            .order_by(AuditEvent.at.desc())
            .limit(INCIDENTS_SHOWN)
        )
    ]
    return Incidents(blocked, failed, failed_total, events)


def open_jobs(session: Session, *, status: str = "", kind: str = "", page: int = 1) -> JobList:
    """Jobs still to do or needing someone, soonest first; unknown filter values are ignored."""
    status = status if status in OPEN_JOB_STATUSES else ""
    kind = kind if kind in KIND_TEXT else ""
    query = (
        select(Job, Instance.reference, Instance.title)
        .outerjoin(Instance, Instance.id == Job.instance_id)
        .where(Job.status.in_([status] if status else OPEN_JOB_STATUSES))
    )
    if kind:
        query = query.where(Job.kind == kind)
    found = paginate(session, query.order_by(Job.run_at, Job.id), page, PAGE_SIZE)
    rows = [job_row(job, reference, title) for job, reference, title in found.rows]
    return JobList(Page(rows, found.page, found.pages, found.total, found.size), status, kind)


def outbox(session: Session, *, status: str = "", page: int = 1) -> Outbox:
    """The emails, most recent first, filtered by status (an unknown one is ignored)."""
    status = status if status in EMAIL_STATUS_TEXT else ""
    query = select(Email, Instance.reference, Instance.title).outerjoin(
        Instance, Instance.id == Email.instance_id
    )
    if status:
        query = query.where(Email.status == status)
    found = paginate(
        session, query.order_by(Email.created_at.desc(), Email.id.desc()), page, PAGE_SIZE
    )
    rows = [
        email_row(email, reference, title, body=False) for email, reference, title in found.rows
    ]
    counts: dict[str, int] = {
        row_status: count
        for row_status, count in session.execute(
            select(Email.status, func.count()).group_by(Email.status)
        )
    }
    return Outbox(
        Page(rows, found.page, found.pages, found.total, found.size),
        status,
        [(key, label, counts.get(key, 0)) for key, label in EMAIL_STATUS_TEXT.items()],
    )


def email_detail(session: Session, email_id: int) -> tuple[EmailRow, bool]:
    """One email with its body, and whether its template still exists."""
    found = session.execute(
        select(Email, Instance.reference, Instance.title)
        .outerjoin(Instance, Instance.id == Email.instance_id)
        .where(Email.id == email_id)
    ).first()
    if found is None:
        raise NotFound("Courriel introuvable.")
    row = email_row(found[0], found[1], found[2], body=True)
    return row, row.template in templates()


def email_templates() -> list[TemplateRow]:
    return [
        TemplateRow(
            name=template.name,
            path=f"{TEMPLATES_FOLDER}/{template.name}.txt",
            recipient=template.recipient,
            recipient_label=RECIPIENT_LABELS.get(template.recipient, template.recipient),
            subject=template.subject,
            source=template.source,
        )
        for template in templates().values()
    ]


def dossier_operations(session: Session, instance_id: int) -> DossierOperations:
    """A dossier's jobs (every state) and emails, most recent first."""
    found = session.execute(
        select(Instance.id, Instance.reference, Instance.title, Instance.status_label).where(
            Instance.id == instance_id
        )
    ).first()
    if found is None:
        raise NotFound("Dossier introuvable.")
    dossier = DossierRef.of(found.id, found.reference, found.title)
    emails = [
        email_row(item, found.reference, found.title, body=False)
        for item in session.scalars(
            select(Email)
            .where(Email.instance_id == instance_id)
            .order_by(Email.created_at.desc(), Email.id.desc())
        )
    ]
    jobs = [job_row(job, found.reference, found.title) for job in jobs_of(session, instance_id)]
    return DossierOperations(dossier, found.status_label, jobs, emails)
