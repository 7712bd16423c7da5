"""What runs behind the procedure, for administrators: incidents, the outbox, email templates,
scheduled jobs (timers, emails, publications) and *Relancer*. The lists are the engine's
(engine.workflow.operations); these routes read the request and render."""

from __future__ import annotations

import re

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core.errors import InventaireError
from engine.core.models import as_id
from engine.emails.templates import TEMPLATES_FOLDER
from engine.jobs import worker
from engine.workflow import access, operations
from web.admin import bp
from web.auth import allowed, current_actor
from web.database import db

# Where *Relancer* may send back to: a page of the administration, its query string included.
BACK_ADDRESS = re.compile(r"/admin/[A-Za-z0-9/_?=&%.-]*")


def _page_number() -> int:
    return as_id(request.args.get("page", "1")) or 1


def _back_to(target: str | None) -> str:
    """Where *Relancer* returns: an admin page of this site, else the incidents page."""
    if target and len(target) < 500 and BACK_ADDRESS.fullmatch(target) and "//" not in target:
        return target
    return url_for("admin.incidents")


def _smtp_host() -> str:
    return str(current_app.config.get("SMTP_HOST") or "")


# --- incidents --------------------------------------------------------------------------------


@bp.get("/incidents")
@allowed(access.may_open_administration)
def incidents() -> str:
    """Blocked dossiers, failed jobs and the errors of diagrams met while running dossiers."""
    found = operations.incidents(db())
    return render_template(
        "admin/incidents.html",
        blocked=found.blocked,
        failed=found.failed,
        failed_total=found.failed_total,
        events=found.events,
    )


@bp.post("/travaux/<int:job_id>/relancer")
@allowed(access.may_administer)
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
    flash(f"Relancé\u00a0: {label}", "success")
    return redirect(back)


# --- the outbox and the templates -----------------------------------------------------------


@bp.get("/courriels")
@allowed(access.may_administer)
def emails() -> str:
    found = operations.outbox(db(), status=request.args.get("statut", ""), page=_page_number())
    return render_template(
        "admin/courriels.html",
        emails=found.page.rows,
        pagination=found.page,
        status=found.status,
        statuses=found.statuses,
        smtp_host=_smtp_host(),
    )


@bp.get("/courriels/<int:email_id>")
@allowed(access.may_administer)
def email(email_id: int) -> str:
    row, template_known = operations.email_detail(db(), email_id)
    return render_template(
        "admin/courriel.html", email=row, template_known=template_known, smtp_host=_smtp_host()
    )


@bp.get("/courriels/modeles")
@allowed(access.may_administer)
def email_templates() -> str:
    return render_template(
        "admin/modeles.html", templates=operations.email_templates(), folder=TEMPLATES_FOLDER
    )


# --- scheduled jobs -------------------------------------------------------------------------


@bp.get("/travaux")
@allowed(access.may_administer)
def jobs() -> str:
    found = operations.open_jobs(
        db(),
        status=request.args.get("statut", ""),
        kind=request.args.get("nature", ""),
        page=_page_number(),
    )
    return render_template(
        "admin/travaux.html",
        jobs=found.page.rows,
        pagination=found.page,
        status=found.status,
        kind=found.kind,
        params={
            key: value for key, value in (("statut", found.status), ("nature", found.kind)) if value
        },
        statuses=[
            (str(key), operations.JOB_STATUS_TEXT[key]) for key in operations.OPEN_JOB_STATUSES
        ],
        kinds=list(operations.KIND_TEXT.items()),
    )


@bp.get("/dossiers/<int:instance_id>/travaux")
@allowed(access.may_administer)
def dossier_jobs(instance_id: int) -> str:
    found = operations.dossier_operations(db(), instance_id)
    return render_template(
        "admin/dossier_travaux.html",
        dossier=found.dossier,
        status_label=found.status_label,
        jobs=found.jobs,
        emails=found.emails,
    )
