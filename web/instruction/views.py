"""Routes of the reviewers' space."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from engine.core.actor import REVIEWER_ROLES
from engine.core.errors import Conflict, Forbidden, FormInvalid
from engine.core.models import Instance, Organisation, RoleName, WorkItem, WorkItemStatus, as_id
from engine.workflow import diagram, runtime
from engine.workflow.access import inbox_filter, reassignable_to
from engine.workflow.dossier import dossier_view
from engine.workflow.task_context import task_context
from web.auth import current_actor, roles_required
from web.database import db
from web.errors import error_page
from web.instruction import bp
from web.taskpage import Page, render_task, submit_task

STAFF = (*REVIEWER_ROLES, RoleName.ADMIN, RoleName.PROPRIETAIRE)
PAGE_SIZE = 50


@bp.get("/")
@roles_required(*REVIEWER_ROLES)
def corbeille() -> str:
    """My work items and my roles' unclaimed ones; filter by step, sort by age."""
    actor = current_actor()
    step = request.args.get("etape", "")[:100]
    order = request.args.get("tri", "ancien")
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    # One pass over the covering index ix_work_item_counts: per step, mine and unclaimed.
    counted = (
        db()
        .execute(
            select(
                WorkItem.task_spec,
                WorkItem.task_title,
                WorkItem.claimed_by_id.is_not(None),
                func.count(),
            )
            .where(inbox_filter(actor))
            # In the index's order: a streaming aggregate, no hashing of 35,000 rows.
            .group_by(WorkItem.claimed_by_id, WorkItem.task_spec, WorkItem.task_title)
            .order_by(WorkItem.claimed_by_id, WorkItem.task_spec, WorkItem.task_title)
        )
        .all()
    )
    per_step: dict[tuple[str, str], int] = {}
    mine_total = total = 0
    for spec, title, mine, count in counted:
        per_step[(spec, title)] = per_step.get((spec, title), 0) + count
        if not step or spec == step:
            total += count
            mine_total += count if mine else 0
    steps = sorted(
        ((spec, title, count) for (spec, title), count in per_step.items()),
        key=lambda row: row[1],
    )
    # The page: my claimed tasks first, then the queue; each read in the order of
    # ix_work_item_queue (status, role, claimed_by_id, created_at, id), stopping at the page.
    conditions = [inbox_filter(actor)]
    if step:
        conditions.append(WorkItem.task_spec == step)
    recent = order == "recent"
    ordering = (WorkItem.created_at.desc() if recent else WorkItem.created_at.asc(), WorkItem.id)

    def read(claimed: bool, offset: int, limit: int) -> list[Any]:
        if limit <= 0:
            return []
        who = WorkItem.claimed_by_id == actor.id if claimed else WorkItem.claimed_by_id.is_(None)
        query = (
            select(
                WorkItem,
                Instance.reference,
                Instance.title,
                Instance.status_label,
                Organisation.name,
            )
            .join(Instance, Instance.id == WorkItem.instance_id)
            .outerjoin(Organisation, Organisation.id == Instance.organisation_id)
            .where(*conditions, who)
            .order_by(*ordering)
            .limit(limit)
            .offset(offset)
        )
        return list(db().execute(query).all())

    offset = (page - 1) * PAGE_SIZE
    rows = read(True, offset, min(PAGE_SIZE, mine_total - offset))
    rows += read(False, max(0, offset - mine_total), PAGE_SIZE - len(rows))
    return render_template(
        "instruction/corbeille.html",
        rows=rows,
        total=total,
        steps=steps,
        step=step,
        order=order,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


@bp.route("/taches/<int:work_item_id>", methods=["GET", "POST"])
@roles_required(*REVIEWER_ROLES)
def tache(work_item_id: int) -> Page:
    actor = current_actor()
    context = task_context(db(), actor, work_item_id, for_display=request.method == "GET")
    if not context.may_work:
        # Another lane's task, or one designated to someone else: not even to be read.
        abort(403)
    if request.method == "GET":
        if context.status != WorkItemStatus.OPEN:
            return error_page(409, runtime.conflict_message(db(), work_item_id))
        holders = []
        if actor.has(RoleName.RECEVABILITE) or actor.has(RoleName.ADMIN):
            holders = reassignable_to(db(), runtime.get_work_item(db(), work_item_id))
        return render_task("instruction/tache.html", actor, context, holders=holders)
    return submit_task(
        "instruction/tache.html",
        actor,
        work_item_id,
        lambda _result: url_for("instruction.corbeille"),
        context,
    )


def _claim_action(work_item_id: int, action: str) -> Response | tuple[str, int]:
    actor = current_actor()
    try:
        if action == "prendre":
            runtime.claim(db(), actor, work_item_id)
            message = "Tâche prise en charge : elle n'apparaît plus que dans votre corbeille."
        elif action == "liberer":
            runtime.release(db(), actor, work_item_id)
            message = "Tâche libérée : elle retourne dans la corbeille de votre rôle."
        else:
            user_id = as_id(request.form.get("utilisateur"))
            if user_id is None:
                raise FormInvalid({"utilisateur": "Choisissez une personne de la liste."})
            item = runtime.reassign(db(), actor, work_item_id, user_id)
            message = f"Tâche réattribuée à {item.claimed_by.name if item.claimed_by else ''}."
        db().commit()
    except Conflict as error:
        db().rollback()
        return error_page(409, error.user_message)
    except Forbidden as error:
        db().rollback()
        return error_page(403, error.user_message)
    except FormInvalid as error:
        db().rollback()
        flash(next(iter(error.errors.values())), "error")
        return redirect(url_for("instruction.tache", work_item_id=work_item_id))
    flash(message, "success")
    if action == "liberer":
        return redirect(url_for("instruction.corbeille"))
    return redirect(url_for("instruction.tache", work_item_id=work_item_id))


@bp.post("/taches/<int:work_item_id>/prendre")
@roles_required(*REVIEWER_ROLES)
def prendre(work_item_id: int) -> Response | tuple[str, int]:
    return _claim_action(work_item_id, "prendre")


@bp.post("/taches/<int:work_item_id>/liberer")
@roles_required(*REVIEWER_ROLES)
def liberer(work_item_id: int) -> Response | tuple[str, int]:
    return _claim_action(work_item_id, "liberer")


@bp.post("/taches/<int:work_item_id>/reattribuer")
@roles_required(RoleName.RECEVABILITE, RoleName.ADMIN)
def reattribuer(work_item_id: int) -> Response | tuple[str, int]:
    return _claim_action(work_item_id, "reattribuer")


@bp.get("/dossiers")
@roles_required(*STAFF)
def dossiers() -> str:
    """Every dossier, searchable by reference or title, filterable by status."""
    text = request.args.get("q", "")[:200].strip()
    status = request.args.get("statut", "")[:60]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    conditions = []
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Instance.reference.ilike(pattern, escape="\\"),
                Instance.title.ilike(pattern, escape="\\"),
            )
        )
    if status:
        conditions.append(Instance.status_label == status)
    query = (
        select(Instance, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Instance.organisation_id)
        .where(*conditions)
        .order_by(Instance.updated_at.desc(), Instance.id.desc())
    )
    rows = db().execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    total = db().scalar(select(func.count(Instance.id)).where(*conditions)) or 0
    return render_template(
        "instruction/dossiers.html",
        rows=rows,
        total=total,
        text=text,
        status=status,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        statuses=STATUS_LABELS,
    )


STATUS_LABELS = (
    "Brouillon",
    "Déposée",
    "En examen de recevabilité",
    "En attente de compléments",
    "En instruction",
    "Inscrite à l'ordre du jour",
    "Recensée",
    "Refusée",
    "Irrecevable",
    "Classée sans suite",
    "En erreur",
)


@bp.get("/dossiers/<int:instance_id>")
@roles_required(*STAFF)
def dossier(instance_id: int) -> str:
    actor = current_actor()
    view = dossier_view(db(), actor, instance_id)
    return render_template("instruction/dossier.html", dossier=view)


@bp.get("/dossiers/<int:instance_id>/diagramme")
@roles_required(*STAFF)
def dossier_diagram(instance_id: int) -> Response:
    xml, _markers = diagram.dossier_diagram(db(), current_actor(), instance_id)
    return Response(xml, mimetype="application/xml")


@bp.get("/dossiers/<int:instance_id>/marqueurs")
@roles_required(*STAFF)
def dossier_markers(instance_id: int) -> Response:
    _xml, markers = diagram.dossier_diagram(db(), current_actor(), instance_id)
    return jsonify(markers)
