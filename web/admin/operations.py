"""What runs behind the procedure, for administrators: incidents, the outbox, email templates,
scheduled jobs (timers, emails, publications) and *Relancer*."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response

from engine.core.errors import InventaireError, NotFound
from engine.core.models import (
    EMAIL_STATUS_LABELS,
    JOB_STATUS_LABELS,
    AuditEvent,
    Email,
    Instance,
    InstanceStatus,
    Job,
    JobStatus,
    RoleName,
    as_id,
)
from engine.emails.recipients import RECIPIENT_LABELS
from engine.emails.templates import templates
from engine.jobs import JOB_KIND_LABELS, jobs_of, worker
from web.admin import bp
from web.auth import current_actor, roles_required
from web.database import db

PER_PAGE = 50
# Incidents shown on the incidents page; all of them are on the jobs page (paginated).
INCIDENTS_SHOWN = 200
# The jobs page lists what is still to do or needs someone: not the done or cancelled ones.
OPEN_JOB_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED)
# Where *Relancer* may send back to: a page of the administration, its query string included.
BACK_ADDRESS = re.compile(r"/admin/[A-Za-z0-9/_?=&%.-]*")
# The labels by plain text key (rows hold strings; a kind nobody handles shows as it is).
KIND_TEXT = {str(key): label for key, label in JOB_KIND_LABELS.items()}
JOB_STATUS_TEXT = {str(key): label for key, label in JOB_STATUS_LABELS.items()}
EMAIL_STATUS_TEXT = {str(key): label for key, label in EMAIL_STATUS_LABELS.items()}


# --- view models (templates get these, never ORM objects) -----------------------------------


@dataclass(frozen=True)
class DossierRef:
    id: int
    reference: str
    title: str


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
        return self.status == JobStatus.FAILED


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
class Pagination:
    page: int
    pages: int
    total: int
    # Page numbers to link, None where numbers are left out ("…").
    links: tuple[int | None, ...]


# --- helpers ----------------------------------------------------------------------------------


def _dossier(
    instance_id: int | None, reference: str | None, title: str | None
) -> DossierRef | None:
    if instance_id is None:
        return None
    return DossierRef(instance_id, reference or f"Brouillon n° {instance_id}", title or "")


def _job_row(job: Job, reference: str | None, title: str | None) -> JobRow:
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
        dossier=_dossier(job.instance_id, reference, title),
    )


def _email_row(email: Email, reference: str | None, title: str | None, *, body: bool) -> EmailRow:
    return EmailRow(
        id=email.id,
        recipient=email.recipient,
        subject=email.subject,
        template=email.template,
        status=email.status,
        status_label=EMAIL_STATUS_TEXT.get(email.status, email.status),
        created_at=email.created_at,
        sent_at=email.sent_at,
        dossier=_dossier(email.instance_id, reference, title),
        body=email.body if body else "",
    )


def _page_number() -> int:
    return as_id(request.args.get("page", "1")) or 1


def _paginate(query: Select[*tuple[Any, ...]], page: int) -> tuple[list[Any], Pagination]:
    """One page of `query`'s rows; a page past the end shows the last one."""
    total = db().scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    rows = list(db().execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all())
    return rows, Pagination(page, pages, total, _page_links(page, pages))


def _page_links(page: int, pages: int) -> tuple[int | None, ...]:
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return tuple(links)


def _back_to(target: str | None) -> str:
    """Where *Relancer* returns: an admin page of this site, else the incidents page."""
    if target and len(target) < 500 and BACK_ADDRESS.fullmatch(target) and "//" not in target:
        return target
    return url_for("admin.incidents")


# --- incidents --------------------------------------------------------------------------------


@bp.get("/incidents")
@roles_required(RoleName.ADMIN, RoleName.PROPRIETAIRE)
def incidents() -> str:
    """Blocked dossiers, failed jobs and the errors of diagrams met while running dossiers."""
    session = db()
    blocked = [
        (_dossier(row.id, row.reference, row.title), row.error_message or "")
        for row in session.execute(
            select(Instance.id, Instance.reference, Instance.title, Instance.error_message)
            .where(Instance.status == InstanceStatus.ERROR)
            .order_by(Instance.updated_at.desc())
        )
    ]
    failed_query = (
        select(Job, Instance.reference, Instance.title)
        .outerjoin(Instance, Instance.id == Job.instance_id)
        .where(Job.status == JobStatus.FAILED)
    )
    failed_total = (
        session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.FAILED))
        or 0
    )
    failed = [
        _job_row(job, reference, title)
        for job, reference, title in session.execute(
            failed_query.order_by(Job.finished_at.desc(), Job.id.desc()).limit(INCIDENTS_SHOWN)
        )
    ]
    events = [
        IncidentEvent(
            event.at,
            event.summary,
            _dossier(event.instance_id, reference, title),
        )
        for event, reference, title in session.execute(
            select(AuditEvent, Instance.reference, Instance.title)
            .join(Instance, Instance.id == AuditEvent.instance_id)
            .where(AuditEvent.kind == "incident")
            .order_by(AuditEvent.at.desc())
            .limit(200)
        )
    ]
    return render_template(
        "admin/incidents.html",
        blocked=blocked,
        failed=failed,
        failed_total=failed_total,
        events=events,
    )


@bp.post("/travaux/<int:job_id>/relancer")
@roles_required(RoleName.ADMIN)
def job_retry(job_id: int) -> Response:
    """*Relancer*: the job runs again as soon as a worker is free."""
    back = _back_to(request.form.get("retour"))
    try:
        job = worker.retry(db(), current_actor(), job_id)
        label = job.label or job.kind
        db().commit()
    except InventaireError as error:
        db().rollback()
        flash(error.user_message, "error")
        return redirect(back)
    flash(f"Relancé : {label}", "success")
    return redirect(back)


# --- the outbox and the templates -----------------------------------------------------------


@bp.get("/courriels")
@roles_required(RoleName.ADMIN)
def emails() -> str:
    status = request.args.get("statut", "")
    if status not in EMAIL_STATUS_TEXT:
        status = ""
    query = select(Email, Instance.reference, Instance.title).outerjoin(
        Instance, Instance.id == Email.instance_id
    )
    if status:
        query = query.where(Email.status == status)
    rows, pagination = _paginate(
        query.order_by(Email.created_at.desc(), Email.id.desc()), _page_number()
    )
    counts: dict[str, int] = {
        row_status: count
        for row_status, count in db().execute(
            select(Email.status, func.count()).group_by(Email.status)
        )
    }
    return render_template(
        "admin/courriels.html",
        emails=[_email_row(email, ref, title, body=False) for email, ref, title in rows],
        pagination=pagination,
        status=status,
        statuses=[(key, label, counts.get(key, 0)) for key, label in EMAIL_STATUS_TEXT.items()],
        smtp_host=current_app.config.get("SMTP_HOST") or "",
    )


@bp.get("/courriels/<int:email_id>")
@roles_required(RoleName.ADMIN)
def email(email_id: int) -> str:
    found = (
        db()
        .execute(
            select(Email, Instance.reference, Instance.title)
            .outerjoin(Instance, Instance.id == Email.instance_id)
            .where(Email.id == email_id)
        )
        .first()
    )
    if found is None:
        raise NotFound("Courriel introuvable.")
    row = _email_row(found[0], found[1], found[2], body=True)
    known = templates()
    return render_template(
        "admin/courriel.html",
        email=row,
        template_known=row.template in known,
        smtp_host=current_app.config.get("SMTP_HOST") or "",
    )


@bp.get("/courriels/modeles")
@roles_required(RoleName.ADMIN)
def email_templates() -> str:
    rows = [
        TemplateRow(
            name=template.name,
            path=f"engine/courriels/{template.name}.txt",
            recipient=template.recipient,
            recipient_label=RECIPIENT_LABELS.get(template.recipient, template.recipient),
            subject=template.subject,
            source=template.source,
        )
        for template in templates().values()
    ]
    return render_template("admin/modeles.html", templates=rows)


# --- scheduled jobs -------------------------------------------------------------------------


@bp.get("/travaux")
@roles_required(RoleName.ADMIN)
def jobs() -> str:
    status = request.args.get("statut", "")
    if status not in OPEN_JOB_STATUSES:
        status = ""
    kind = request.args.get("nature", "")
    if kind not in KIND_TEXT:
        kind = ""
    query = (
        select(Job, Instance.reference, Instance.title)
        .outerjoin(Instance, Instance.id == Job.instance_id)
        .where(Job.status.in_([status] if status else OPEN_JOB_STATUSES))
    )
    if kind:
        query = query.where(Job.kind == kind)
    rows, pagination = _paginate(query.order_by(Job.run_at, Job.id), _page_number())
    return render_template(
        "admin/travaux.html",
        jobs=[_job_row(job, ref, title) for job, ref, title in rows],
        pagination=pagination,
        status=status,
        kind=kind,
        params={key: value for key, value in (("statut", status), ("nature", kind)) if value},
        statuses=[(str(key), JOB_STATUS_TEXT[key]) for key in OPEN_JOB_STATUSES],
        kinds=list(KIND_TEXT.items()),
    )


@bp.get("/dossiers/<int:instance_id>/travaux")
@roles_required(RoleName.ADMIN)
def dossier_jobs(instance_id: int) -> str:
    session = db()
    found = session.execute(
        select(Instance.id, Instance.reference, Instance.title, Instance.status_label).where(
            Instance.id == instance_id
        )
    ).first()
    if found is None:
        raise NotFound("Dossier introuvable.")
    dossier = _dossier(found.id, found.reference, found.title)
    emails = [
        _email_row(item, found.reference, found.title, body=False)
        for item in session.scalars(
            select(Email)
            .where(Email.instance_id == instance_id)
            .order_by(Email.created_at.desc(), Email.id.desc())
        )
    ]
    return render_template(
        "admin/dossier_travaux.html",
        dossier=dossier,
        status_label=found.status_label,
        jobs=[_job_row(job, found.reference, found.title) for job in jobs_of(session, instance_id)],
        emails=emails,
    )
