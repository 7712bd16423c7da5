"""Routes of the reviewers' space."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core import audit_export
from engine.core.errors import Conflict, Forbidden, FormInvalid
from engine.core.models import WorkItemStatus, as_id
from engine.workflow import access, diagram
from engine.workflow.actions import claims
from engine.workflow.conflicts import DOSSIER_CHANGED, conflict_message
from engine.workflow.dossier_page import dossier_view
from engine.workflow.dossiers_list import all_dossiers
from engine.workflow.inbox import DEFAULT_ORDER, inbox
from engine.workflow.messagerie.reading import unread_counts
from engine.workflow.task_page import task_context
from engine.workflow.worklists.choices import Choice, filter_choices
from engine.workflow.worklists.filters import Criteria
from web.auth import allowed, current_actor
from web.database import db
from web.errors import error_page
from web.experts.page import InvitationDraft, avis_of
from web.filters import total_fr
from web.instruction import bp
from web.instruction.worklists import DOSSIERS_ORDER, worklist_context
from web.messagerie.page import Draft, messagerie_of
from web.taskpage import Page, render_task, submit_task


def _page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.get("/", endpoint="inbox")
@allowed(access.may_use_inbox)
def inbox_page() -> str:
    """My work items and my roles' unclaimed ones, filtered (worklists.filters), sorted by age
    or due date."""
    actor = current_actor()
    criteria = Criteria.from_args(request.args, default_sort=DEFAULT_ORDER)
    found = inbox(db(), actor, criteria, page=_page_number())
    steps = [
        Choice(row.task_spec, f"{row.title} ({total_fr(row.count, row.capped)})")
        for row in found.steps
    ]
    return render_template(
        "instruction/bannette.html",
        page=found.page,
        unread=unread_counts(db(), actor, [row.instance_id for row in found.page.rows]),
        **worklist_context("bannette", criteria, filter_choices(db(), steps=steps), DEFAULT_ORDER),
    )


@bp.route("/taches/<int:work_item_id>", methods=["GET", "POST"])
@allowed(access.may_open_task_pages)
def tache(work_item_id: int) -> Page:
    actor = current_actor()
    context = task_context(db(), actor, work_item_id, for_display=request.method == "GET")
    if not context.may_read:
        # Another lane's task, or one designated to someone else: not even to be read.
        abort(403)
    if request.method == "GET":
        if context.status != WorkItemStatus.OPEN:
            return error_page(409, conflict_message(db(), work_item_id))
        return render_task("instruction/tache.html", actor, context)
    return submit_task(
        "instruction/tache.html",
        actor,
        work_item_id,
        lambda _result: _back_to_seance() or url_for("instruction.inbox"),
        context,
    )


def _claim_action(work_item_id: int, action: str) -> Response | tuple[str, int]:
    actor = current_actor()
    try:
        if action == "prendre":
            claims.claim(db(), actor, work_item_id)
            message = "Tâche prise en charge\u00a0: elle n'apparaît plus que dans votre bannette."
        elif action == "liberer":
            claims.release(db(), actor, work_item_id)
            message = "Tâche libérée\u00a0: elle retourne dans la bannette de votre rôle."
        else:
            user_id = as_id(request.form.get("utilisateur"))
            if user_id is None:
                raise FormInvalid({"utilisateur": "Choisissez une personne de la liste."})
            item = claims.reassign(db(), actor, work_item_id, user_id)
            message = f"Tâche réattribuée à {item.claimed_by.name if item.claimed_by else ''}."
        db().commit()
    except Conflict as error:
        db().rollback()
        message = error.user_message
        if message == DOSSIER_CHANGED:
            # A race lost to another tab or person: who did what, rather than "someone".
            message = conflict_message(db(), work_item_id)
        return error_page(409, message)
    except Forbidden as error:
        db().rollback()
        return error_page(403, error.user_message)
    except FormInvalid as error:
        db().rollback()
        flash(next(iter(error.errors.values())), "error")
        return redirect(url_for("instruction.tache", work_item_id=work_item_id))
    flash(message, "success")
    if action == "liberer":
        return redirect(url_for("instruction.inbox"))
    seance = as_id(request.args.get("seance"))
    return redirect(url_for("instruction.tache", work_item_id=work_item_id, seance=seance))


def _back_to_seance() -> str | None:
    """A task opened from a séance's ordre du jour (`?seance=`) goes back to it once done: the
    commission works the agenda in order from there."""
    seance = as_id(request.args.get("seance"))
    return url_for("seances.seance", seance_id=seance, _anchor="ordre-du-jour") if seance else None


@bp.post("/taches/<int:work_item_id>/prendre")
@allowed(access.may_use_inbox)
def prendre(work_item_id: int) -> Response | tuple[str, int]:
    return _claim_action(work_item_id, "prendre")


@bp.post("/taches/<int:work_item_id>/liberer")
@allowed(access.may_use_inbox)
def liberer(work_item_id: int) -> Response | tuple[str, int]:
    return _claim_action(work_item_id, "liberer")


@bp.post("/taches/<int:work_item_id>/reattribuer")
@allowed(access.may_reassign_tasks)
def reattribuer(work_item_id: int) -> Response | tuple[str, int]:
    return _claim_action(work_item_id, "reattribuer")


@bp.get("/dossiers")
@allowed(access.may_read_all_dossiers)
def dossiers() -> str:
    """Every dossier, filtered (worklists.filters), searched in its words, sorted."""
    actor = current_actor()
    criteria = Criteria.from_args(request.args, default_sort=DOSSIERS_ORDER)
    found = all_dossiers(db(), actor, criteria, page=_page_number())
    unread = unread_counts(db(), actor, [row.id for row in found.page.rows])
    return render_template(
        "instruction/dossiers.html",
        found=found,
        unread=unread,
        **worklist_context("dossiers", found.criteria, filter_choices(db()), DOSSIERS_ORDER),
    )


@bp.get("/dossiers/<int:instance_id>")
@allowed(access.may_read_all_dossiers)
def dossier(instance_id: int) -> tuple[str, int]:
    return dossier_page(instance_id)


def dossier_page(
    instance_id: int,
    draft: Draft | None = None,
    status: int = 200,
    invitation: InvitationDraft | None = None,
) -> tuple[str, int]:
    """The dossier's page; `draft`: a form of its messagerie or annotations refused, given back;
    `invitation`: the avis d'experts' form refused, given back."""
    actor = current_actor()
    view = dossier_view(db(), actor, instance_id)
    messagerie = messagerie_of(instance_id, mark=draft is None and invitation is None)
    return (
        render_template(
            "instruction/dossier.html",
            dossier=view,
            messagerie=messagerie,
            draft=draft,
            avis=avis_of(instance_id),
            invitation=invitation,
        ),
        status,
    )


@bp.get("/dossiers/<int:instance_id>/diagramme")
@allowed(access.may_read_all_dossiers)
def dossier_diagram(instance_id: int) -> Response:
    xml, _markers = diagram.dossier_diagram(db(), current_actor(), instance_id)
    return Response(xml, mimetype="application/xml")


@bp.get("/dossiers/<int:instance_id>/marqueurs")
@allowed(access.may_read_all_dossiers)
def dossier_markers(instance_id: int) -> Response:
    _xml, markers = diagram.dossier_diagram(db(), current_actor(), instance_id)
    return jsonify(markers)


@bp.get("/dossiers/<int:instance_id>/journal.<any(json, csv):extension>")
@allowed(access.may_read_all_dossiers)
def dossier_journal(instance_id: int, extension: str) -> Response:
    """The dossier's audit trail to download (staff only: every kind of event is in it)."""
    dossier_view(db(), current_actor(), instance_id)  # the page's own rule: 404 otherwise
    found = audit_export.rows(db(), instance_id)
    name = f"journal-dossier-{instance_id}.{extension}"
    if extension == "json":
        body, mimetype = audit_export.as_json(instance_id, found), "application/json"
    else:
        body, mimetype = "\ufeff" + audit_export.as_csv(found), "text/csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
