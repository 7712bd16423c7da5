"""Routes of the submitters' space."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.core.errors import Conflict, ExecutionError, FormInvalid, NotFound, ScriptError
from engine.core.models import RoleName, WorkItem, WorkItemStatus
from engine.definitions.definition import definition_for, get_latest_version
from engine.definitions.forms import FormDefinition, FormPage
from engine.workflow import access
from engine.workflow.actions import completing, drafts, starting
from engine.workflow.conflicts import conflict_message
from engine.workflow.dossier_page import dossier_view
from engine.workflow.dossiers_list import submitter_dossiers
from engine.workflow.lookup import get_instance
from engine.workflow.messagerie.reading import unread_counts
from engine.workflow.task_page import TaskContext, task_context
from web.auth import allowed, current_actor
from web.database import db
from web.demandes import bp
from web.errors import error_page
from web.formdata import document_store, read_form
from web.formrender import build_form_view
from web.messagerie.page import Draft, messagerie_of
from web.taskpage import PROCESS_FAILURE, Page, keep_process_failure, render_task, submit_task

REQUEST_PROCESS = "recensement"
# What a submitter may file, per process: the Inventaire's request, the RS's (France compétences).
REQUEST_PROCESSES = {
    "recensement": "Nouvelle demande",
    "enregistrement-rs": "Nouvelle demande d'enregistrement au Répertoire spécifique",
}
ALREADY_FILED = (
    "Cette demande a déjà été déposée : ce que vous venez d'envoyer n'a pas été enregistré."
)


@bp.get("/")
@allowed(access.may_use_submitter_space)
def index() -> str:
    actor = current_actor()
    found = submitter_dossiers(db(), actor, page=request.args.get("page", 1, type=int) or 1)
    definition = definition_for(db(), get_latest_version(db(), REQUEST_PROCESS).id)
    return render_template(
        "demandes/index.html",
        found=found,
        unread=unread_counts(db(), actor, [row.id for row in found.rows]),
        start_refusal=access.refusal_to_start(actor, definition),
        requests=[(key, label) for key, label in REQUEST_PROCESSES.items() if _deployed(key)],
    )


def _deployed(key: str) -> bool:
    try:
        get_latest_version(db(), key)
    except NotFound:
        return False
    return True


@bp.post("/nouvelle")
@allowed(access.may_use_submitter_space)
def create() -> Response:
    key = request.form.get("processus", REQUEST_PROCESS)
    if key not in REQUEST_PROCESSES:
        abort(404)
    instance = starting.start_instance(db(), current_actor(), key)
    db().commit()
    flash("Votre demande est créée à l'état de brouillon.", "success")
    return redirect(url_for("demandes.saisie", instance_id=instance.id))


class Filed(Exception):
    """The dossier has no open draft any more: it was filed (the browser's Back after
    *Déposer la demande* comes here)."""


def _draft_item(instance_id: int) -> WorkItem:
    """The open draft task of the dossier (the first form); Filed when it was filed."""
    actor = current_actor()
    instance = get_instance(db(), actor, instance_id)
    depot = definition_for(db(), instance.process_version_id).depot_tasks()
    item = db().scalar(
        select(WorkItem).where(
            WorkItem.instance_id == instance_id,
            WorkItem.status == WorkItemStatus.OPEN,
            WorkItem.task_spec.in_(sorted(depot)),
        )
    )
    if item is None:
        raise Filed()
    return item


def _filing_pages(instance_id: int) -> set[str]:
    """The ids of the filing form's pages, for a dossier filed already."""
    definition = definition_for(db(), _instance_version(instance_id))
    return {
        page.id
        for spec_id in definition.depot_tasks()
        if (form := definition.form_for(definition.task_spec(spec_id))) is not None
        for page in form.pages
    }


def _pages(form: FormDefinition) -> list[FormPage]:
    return list(form.pages)


def _render_page(
    context: TaskContext,
    page: FormPage,
    data: dict[str, Any],
    errors: dict[str, str],
    *,
    elsewhere: list[tuple[str, str]] | None = None,
    alert: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    dossier = dossier_view(db(), current_actor(), context.instance_id)
    documents = {str(piece.id): piece.name for piece in dossier.pieces}
    form_view = build_form_view(
        context.form,
        data,
        errors,
        page_id=page.id,
        user_choices=context.user_choices,
        documents=documents,
    )
    pages = _pages(context.form)
    index = [item.id for item in pages].index(page.id)
    return (
        render_template(
            "demandes/saisie.html",
            task=context,
            dossier=dossier,
            form_view=form_view,
            page=page,
            pages=pages,
            index=index,
            elsewhere=elsewhere or [],
            alert=alert,
        ),
        status,
    )


@bp.route("/<int:instance_id>/saisie", methods=["GET"], defaults={"page_id": None})
@bp.route("/<int:instance_id>/saisie/<page_id>", methods=["GET", "POST"])
@allowed(access.may_use_submitter_space)
def saisie(instance_id: int, page_id: str | None) -> Page:
    actor = current_actor()
    try:
        item = _draft_item(instance_id)
    except Filed:
        # Nothing left to type: the dossier's page says where the request stands.
        if page_id is not None and page_id not in _filing_pages(instance_id):
            abort(404)
        if request.method == "POST":
            # A second click on « Déposer » (or a page sent from an old tab): told, not lost.
            flash(ALREADY_FILED, "info")
        return redirect(url_for("demandes.dossier", instance_id=instance_id))
    context = task_context(db(), actor, item.id)
    access.enforce(db(), context.refusal)
    pages = _pages(context.form)
    ids = [page.id for page in pages]
    if page_id is None:
        return redirect(url_for("demandes.saisie", instance_id=instance_id, page_id=ids[0]))
    if page_id not in ids:
        abort(404)
    page = pages[ids.index(page_id)]
    draft = dict(context.values)
    if request.method == "GET":
        return _render_page(context, page, draft, {})

    instance = get_instance(db(), actor, instance_id)
    data, errors = read_form(actor, instance, context.form, list(page.fields))
    merged = {key: value for key, value in draft.items() if key not in page.fields} | data
    if errors:
        db().rollback()
        return _render_page(context, page, merged, errors, status=422)
    try:
        drafts.save_draft(db(), actor, item.id, data, fields=list(page.fields))
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return _render_page(context, page, merged, error.errors, status=422)
    except Conflict as error:
        db().rollback()
        return error_page(409, error.user_message)

    action = request.form.get("_action", "brouillon")
    position = ids.index(page_id)
    if action == "precedent" and position > 0:
        return redirect(
            url_for("demandes.saisie", instance_id=instance_id, page_id=ids[position - 1])
        )
    if action == "suivant" and position < len(ids) - 1:
        return redirect(
            url_for("demandes.saisie", instance_id=instance_id, page_id=ids[position + 1])
        )
    if action == "deposer":
        return _deposer(context, page, merged)
    target = action.removeprefix("page:")
    if action.startswith("page:") and target in ids:
        # A page tag: the page's input is saved like *Page suivante*, then the page asked.
        return redirect(url_for("demandes.saisie", instance_id=instance_id, page_id=target))
    flash("Brouillon enregistré.", "success")
    return redirect(url_for("demandes.saisie", instance_id=instance_id, page_id=page_id))


def _deposer(context: TaskContext, page: FormPage, data: dict[str, Any]) -> Page:
    actor = current_actor()
    try:
        result = completing.complete_work_item(db(), actor, context.item_id, data)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        here = {
            name: message
            for name, message in error.errors.items()
            if name in page.fields or not name
        }
        elsewhere = [
            (
                url_for(
                    "demandes.saisie",
                    instance_id=context.instance_id,
                    page_id=context.form.page_of(name).id,
                    _anchor=f"champ-{name}",
                ),
                f"{context.form.page_of(name).title} – {message}",
            )
            for name, message in error.errors.items()
            if name and name not in page.fields
        ]
        return _render_page(context, page, data, here, elsewhere=elsewhere, status=422)
    except Conflict:
        db().rollback()
        return error_page(409, conflict_message(db(), context.item_id))
    except (ScriptError, ExecutionError) as error:
        keep_process_failure(actor, context.instance_id, error)
        return _render_page(context, page, data, {}, alert=PROCESS_FAILURE, status=422)
    flash(result.message, "success")
    return redirect(url_for("demandes.dossier", instance_id=context.instance_id))


@bp.route("/<int:instance_id>/supprimer", methods=["GET", "POST"])
@allowed(access.may_use_submitter_space)
def supprimer(instance_id: int) -> Page:
    """*Supprimer le brouillon*: a confirmation page, then the deletion (never filed dossiers)."""
    actor = current_actor()
    try:
        item = _draft_item(instance_id)
    except Filed:
        return error_page(
            409, "Cette demande a été déposée\u00a0: elle ne peut plus être supprimée."
        )
    context = task_context(db(), actor, item.id, for_display=False)
    access.enforce(db(), context.refusal)
    if request.method == "GET":
        view = dossier_view(db(), actor, instance_id)
        return render_template("demandes/supprimer.html", dossier=view)
    try:
        keys = drafts.delete_draft(db(), actor, item.id)
        db().commit()
    except Conflict as error:
        db().rollback()
        return error_page(409, error.user_message)
    store = document_store()
    for key in keys:
        store.path_for(key).unlink(missing_ok=True)
    flash("Le brouillon a été supprimé.", "success")
    return redirect(url_for("demandes.index"))


@bp.get("/<int:instance_id>")
@allowed(access.may_use_submitter_space)
def dossier(instance_id: int) -> tuple[str, int]:
    return dossier_page(instance_id)


def dossier_page(
    instance_id: int, draft: Draft | None = None, status: int = 200
) -> tuple[str, int]:
    """The dossier's page; `draft`: a form of its messagerie refused, given back."""
    view = dossier_view(db(), current_actor(), instance_id)
    messagerie = messagerie_of(instance_id, mark=draft is None)
    return (
        render_template("demandes/dossier.html", dossier=view, messagerie=messagerie, draft=draft),
        status,
    )


@bp.route("/<int:instance_id>/taches/<int:work_item_id>", methods=["GET", "POST"])
@allowed(access.may_use_submitter_space)
def tache(instance_id: int, work_item_id: int) -> Page:
    actor = current_actor()
    context = task_context(db(), actor, work_item_id, for_display=request.method == "GET")
    if context.instance_id != instance_id or context.role != RoleName.DEMANDEUR:
        abort(404)
    if context.task_spec in definition_for(db(), _instance_version(instance_id)).depot_tasks():
        return redirect(url_for("demandes.saisie", instance_id=instance_id))
    if request.method == "GET":
        access.enforce(db(), context.refusal)
        return render_task("demandes/tache.html", actor, context)
    return submit_task(
        "demandes/tache.html",
        actor,
        work_item_id,
        lambda result: url_for("demandes.dossier", instance_id=result.instance_id),
    )


def _instance_version(instance_id: int) -> int:
    return get_instance(db(), current_actor(), instance_id).process_version_id
