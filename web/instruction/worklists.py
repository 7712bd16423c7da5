"""The worklists' pages beside the lists: saved views, bulk actions on a selection, exports
(at once when small, by a job with a progress page when large)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core.errors import FormInvalid, InventaireError
from engine.core.models import ExportStatus
from engine.core.pieces import DocumentStore
from engine.workflow import access
from engine.workflow.worklists import bulk, export_job, exports, saved_views, writers
from engine.workflow.worklists.bulk_actions import ACTIONS, offered
from engine.workflow.worklists.choices import Choices
from engine.workflow.worklists.export_job import ExportRequest
from engine.workflow.worklists.filters import Criteria
from web.auth import allowed, current_actor
from web.database import db
from web.errors import error_page
from web.formdata import document_store
from web.instruction import bp
from web.pieces import send_piece
from web.security_headers import sandbox_piece

DOSSIERS_ORDER = "recent"
LIST_ENDPOINTS = {"bannette": "instruction.inbox", "dossiers": "instruction.dossiers"}
DEFAULT_SYNC_MAX_ROWS = 2000


def worklist_context(
    liste: str, criteria: Criteria, choices: Choices, default_sort: str
) -> dict[str, Any]:
    """What both lists' templates share: the filter, its choices, the saved views, the bulk
    actions offered, and this page's address (where a bulk action comes back to)."""
    actor = current_actor()
    return {
        "liste": liste,
        "criteria": criteria,
        "choices": choices,
        "params": criteria.params(default_sort=default_sort),
        "views": saved_views.views_of(db(), actor, liste),
        "actions": offered(actor),
        "select_all": request.args.get("tout") == "1",
        "here": request.full_path.rstrip("?"),
    }


def _list_url(endpoint: str, params: Mapping[str, str]) -> str:
    """A list's address with its filter."""
    return url_for(endpoint) + (f"?{urlencode(params)}" if params else "")


def _back(default: str = "instruction.dossiers") -> str:
    """The list a form came from (a path of this space only), else `default`."""
    target = request.form.get("retour", "")
    if target.startswith("/instruction/") and not target.startswith("//"):
        return target
    return url_for(default)


# --- saved views -------------------------------------------------------------------------------


@bp.post("/vues")
@allowed(access.may_read_all_dossiers)
def save_view() -> Response:
    liste = request.form.get("liste", "")
    endpoint = LIST_ENDPOINTS.get(liste, "instruction.dossiers")
    default = "ancien" if liste == "bannette" else DOSSIERS_ORDER
    filtre = Criteria.from_args(dict(parse_qsl(request.form.get("requete", "")[:2000])),
                                default_sort=default)  # fmt: skip
    params = filtre.params(default_sort=default)
    try:
        view = saved_views.save(db(), current_actor(), liste, request.form.get("nom", ""), params)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        flash(next(iter(error.errors.values())), "error")
        return redirect(_list_url(endpoint, params))
    except InventaireError as error:
        db().rollback()
        flash(error.user_message, "error")
        return redirect(url_for(endpoint))
    flash(f"Vue «\u00a0{view.name}\u00a0» enregistrée.", "success")
    return redirect(_list_url(endpoint, params))


@bp.post("/vues/<int:view_id>/supprimer")
@allowed(access.may_read_all_dossiers)
def delete_view(view_id: int) -> Response | tuple[str, int]:
    try:
        view = saved_views.delete(db(), current_actor(), view_id)
        db().commit()
    except InventaireError as error:
        db().rollback()
        return error_page(error.http_status, error.user_message)
    flash(f"Vue «\u00a0{view.name}\u00a0» supprimée.", "success")
    return redirect(url_for(LIST_ENDPOINTS.get(view.liste, "instruction.dossiers")))


# --- bulk actions ------------------------------------------------------------------------------


@bp.post("/lot")
@allowed(access.may_read_all_dossiers)
def lot() -> Response | str | tuple[str, int]:
    """First the selection and the action's form, then (`confirmer`) the action on each
    dossier and its report."""
    actor = current_actor()
    action = ACTIONS.get(request.form.get("action", ""))
    if action is None or not action.may_use(actor):
        return error_page(403, "Cette action ne vous est pas ouverte.")
    picked = bulk.parse_selection(request.form.getlist("dossier"))
    back = _back()
    if not picked:
        flash("Cochez au moins un dossier de la liste avant de choisir une action.", "error")
        return redirect(back)
    if not action.per_dossier:
        return _export_form(selection=picked, back=back)
    context = bulk.BulkContext(db(), actor, document_store())
    form = {key: value for key, value in request.form.items() if key != "dossier"}
    if request.form.get("confirmer") != "1":
        return _lot_page(action, picked, back, context, form, {})
    try:
        prepared = action.prepare(context, form)
    except FormInvalid as error:
        db().rollback()
        return _lot_page(action, picked, back, context, form, error.errors, status=422)
    outcomes = bulk.run(context, action, picked, prepared)
    return render_template(
        "instruction/lot_resultat.html",
        action=action,
        done=[outcome for outcome in outcomes if outcome.done],
        refused=[outcome for outcome in outcomes if not outcome.done],
        back=back,
    )


def _lot_page(
    action: bulk.BulkAction,
    picked: list[bulk.Picked],
    back: str,
    context: bulk.BulkContext,
    form: Mapping[str, str],
    errors: Mapping[str, str],
    status: int = 200,
) -> tuple[str, int]:
    return (
        render_template(
            "instruction/lot.html",
            action=action,
            picked=picked,
            back=back,
            form=form,
            errors=errors,
            options=action.options(context),
        ),
        status,
    )


# --- exports -----------------------------------------------------------------------------------


def _export_form(
    *,
    selection: list[bulk.Picked] | None = None,
    back: str,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    filtre = {key: value for key, value in request.values.items() if key in _FILTER_KEYS}
    return (
        render_template(
            "instruction/export.html",
            formats=exports.FORMATS,
            columns=exports.COLUMNS,
            chosen=request.form.getlist("colonne") or list(exports.DEFAULT_COLUMNS),
            format=request.form.get("format", "csv"),
            selection=selection,
            filtre=filtre,
            back=back,
            errors=errors or {},
            recent=export_job.my_exports(db(), current_actor()),
        ),
        status,
    )


_FILTER_KEYS = (
    "q",
    "statut",
    "etape",
    "categorie",
    "rapporteur",
    "organisation",
    "depot_du",
    "depot_au",
    "en_retard",
    "tri",
)


@bp.get("/export")
@allowed(access.may_read_all_dossiers)
def export_page() -> tuple[str, int]:
    """The export form of *Tous les dossiers* under the filter of the query string."""
    filtre = {key: value for key, value in request.args.items() if key in _FILTER_KEYS}
    back = _list_url("instruction.dossiers", filtre)
    return _export_form(back=back)


@bp.post("/export")
@allowed(access.may_read_all_dossiers)
def export_post() -> Response | tuple[str, int]:
    actor = current_actor()
    kind = request.form.get("format", "")
    back = _back()
    picked = bulk.parse_selection(request.form.getlist("dossier"))
    selection = picked or None
    if kind not in exports.FORMATS:
        return _export_form(
            selection=selection, back=back, errors={"format": "Choisissez un format."}, status=422
        )
    columns = exports.chosen_columns(request.form.getlist("colonne"))
    filtre = {key: value for key, value in request.form.items() if key in _FILTER_KEYS}
    export = ExportRequest(
        kind,
        tuple(column.key for column in columns),
        None if selection else filtre,
        tuple(choice.instance_id for choice in selection) if selection else None,
    )
    ids = export.ids(db(), actor)
    limit = int(current_app.config.get("EXPORT_SYNC_MAX_ROWS", DEFAULT_SYNC_MAX_ROWS))
    if len(ids) > limit:
        started = export_job.start(db(), actor, export, len(ids))
        db().commit()
        return redirect(url_for("instruction.export_status", export_id=started.id))
    buffer = io.BytesIO()
    writers.write(kind, buffer, [c.label for c in columns], exports.stream(db(), columns, ids))
    db().rollback()
    response = Response(buffer.getvalue(), mimetype=exports.FORMATS[kind][1])
    response.headers.set("Content-Disposition", "attachment", filename=export_job.filename(kind))
    response.headers["Cache-Control"] = "private, no-store"
    return sandbox_piece(response)


@bp.get("/exports/<int:export_id>")
@allowed(access.may_read_all_dossiers)
def export_status(export_id: int) -> tuple[str, int]:
    """Where a large export shows its progress (the page reloads itself while it runs), then
    its link."""
    try:
        export = export_job.export_of(db(), current_actor(), export_id)
    except InventaireError as error:
        return error_page(error.http_status, error.user_message)
    failure = export_job.failure_of(db(), export)
    waiting = failure is None and export.status in (ExportStatus.PENDING, ExportStatus.RUNNING)
    percent = int(100 * export.done / export.total) if export.total else 0
    return render_template(
        "instruction/export_suivi.html",
        export=export,
        waiting=waiting,
        percent=percent,
        failure=failure,
    ), 200


@bp.get("/exports/<int:export_id>/fichier")
@allowed(access.may_read_all_dossiers)
def export_download(export_id: int) -> Response | tuple[str, int]:
    try:
        export = export_job.export_of(db(), current_actor(), export_id)
    except InventaireError as error:
        return error_page(error.http_status, error.user_message)
    if export.status != ExportStatus.READY or not export.storage_key:
        return error_page(409, "Cet export n'est pas encore prêt.")
    store: DocumentStore = document_store()
    path = store.path_for(export.storage_key)
    name = export.filename or export_job.filename(export.format)
    return send_piece(path, name, exports.FORMATS[export.format][1], export.storage_key)
