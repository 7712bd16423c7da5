"""Tasks through the API: my tasks (the *Bannette*'s rule), a task's form, its completion
through the same engine call and validation as the task pages, and *Prendre en charge* /
*Libérer* through the same engine actions (engine.workflow.actions.claims) as the buttons."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from spectree import Response as Responses
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from engine.core.errors import Conflict, ExecutionError, FormInvalid, ScriptError
from engine.core.models import WorkItem, WorkItemStatus
from engine.definitions.forms import FormDefinition
from engine.workflow import access
from engine.workflow.actions import claims, completing
from engine.workflow.conflicts import conflict_message
from engine.workflow.inbox import DEFAULT_ORDER, inbox
from engine.workflow.lookup import get_instance
from engine.workflow.task_page import TaskContext, task_context
from engine.workflow.worklists.filters import Criteria
from web.api.access import caller, require
from web.api.base import bp, spec
from web.api.models import (
    Claimed,
    Completed,
    FormData,
    ProblemOut,
    TaskList,
    TaskOut,
    TaskRowOut,
    TasksQuery,
)
from web.api.paging import following, page_of
from web.api.problems import Problem
from web.database import db
from web.taskpage import PROCESS_FAILURE, keep_process_failure

TAG = "Tâches"


def _json(model: Any, status: int = 200) -> Response:
    return current_app.response_class(
        model.model_dump_json(by_alias=True), status=status, mimetype="application/json"
    )


def invalid(error: FormInvalid) -> Problem:
    return Problem(422, error.user_message, erreurs=error.errors)


def check_names(form: FormDefinition, data: dict[str, Any]) -> None:
    """A field the form does not have is an error, not a silent drop."""
    unknown = {
        name: "Ce champ n'existe pas dans le formulaire." for name in data if name not in form
    }
    if unknown:
        raise Problem(422, "Le formulaire ne contient pas ces champs.", erreurs=unknown)


def complete(actor: Any, item_id: int, instance_id: int, data: dict[str, Any]) -> Completed:
    """`completing.complete_work_item`, with the task pages' answers to its failures; the
    caller commits."""
    try:
        result = completing.complete_work_item(db(), actor, item_id, data)
    except FormInvalid as error:
        db().rollback()
        raise invalid(error) from error
    except (Conflict, OperationalError) as error:
        db().rollback()
        raise Problem(409, conflict_message(db(), item_id)) from error
    except (ScriptError, ExecutionError) as error:
        keep_process_failure(actor, instance_id, error)
        raise Problem(422, PROCESS_FAILURE) from error
    return Completed(
        dossier=result.instance_id,
        reference=result.reference,
        statut=result.status_label,
        message=result.message,
    )


def open_contexts(dossier_id: int) -> list[TaskContext]:
    """The open tasks of a dossier the caller sees, as their pages read them."""
    actor = caller()
    get_instance(db(), actor, dossier_id)
    ids = db().scalars(
        select(WorkItem.id).where(
            WorkItem.instance_id == dossier_id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    return [task_context(db(), actor, item_id, for_display=False) for item_id in ids]


@bp.get("/taches")
@spec.validate(query=TasksQuery, resp=Responses(HTTP_200=TaskList), tags=[TAG])
@require("lecture")
def my_tasks() -> Response:
    """Mes tâches\u00a0: celles de la bannette (prises en charge d'abord, puis la file)."""
    query = TasksQuery.model_validate(request.args.to_dict())
    criteria = Criteria(q=query.q, etape=query.etape, tri=DEFAULT_ORDER)
    found = inbox(db(), caller(), criteria, page=page_of(query.curseur)).page
    rows = [
        TaskRowOut(
            id=row.item_id,
            dossier=row.instance_id,
            titre=row.task_title,
            creee_le=row.created_at,
            reference=row.reference,
        )
        for row in found.rows
    ]
    return _json(TaskList(elements=rows, suivant=following(found.page, found.pages)))


def _context(task_id: int, *, for_display: bool) -> TaskContext:
    context = task_context(db(), caller(), task_id, for_display=for_display)
    if not context.may_read:
        raise Problem(404, "Tâche introuvable.")
    return context


@bp.get("/taches/<int:task_id>")
@spec.validate(resp=Responses(HTTP_200=TaskOut, HTTP_404=ProblemOut), tags=[TAG])
@require("lecture")
def task(task_id: int) -> Response:
    """Une tâche\u00a0: son formulaire (le JSON Schema des pages), ses valeurs, si vous
    pouvez agir."""
    from web.api.processes import form_out

    context = _context(task_id, for_display=True)
    return _json(
        TaskOut(
            id=context.item_id,
            dossier=context.instance_id,
            etape=context.task_spec,
            titre=context.title,
            role=context.role,
            statut=context.status,
            peut_agir=context.refusal is None,
            refus=context.refusal.message if context.refusal else None,
            formulaire=form_out(context.form, dict(context.values)),
        )
    )


@bp.post("/taches/<int:task_id>")
@spec.validate(
    json=FormData,
    resp=Responses(HTTP_200=Completed, HTTP_409=ProblemOut, HTTP_422=ProblemOut),
    tags=[TAG],
)
@require("ecriture")
def complete_task(task_id: int) -> Response:
    """Terminer une tâche avec «\u00a0donnees\u00a0»\u00a0: la même validation que sa page."""
    body = FormData.model_validate(request.get_json(silent=True) or {})
    context = _context(task_id, for_display=False)
    if context.refusal is not None:
        db().rollback()
        access.enforce(db(), context.refusal)
    check_names(context.form, body.donnees)
    result = complete(caller(), task_id, context.instance_id, body.donnees)
    db().commit()
    return _json(result)


def _claim_action(task_id: int, take: bool) -> Response:
    actor = caller()
    _context(task_id, for_display=False)
    if take:
        item = claims.claim(db(), actor, task_id)
        message = "Tâche prise en charge\u00a0: elle n'apparaît plus que dans votre bannette."
    else:
        item = claims.release(db(), actor, task_id)
        message = "Tâche libérée\u00a0: elle retourne dans la bannette de votre rôle."
    out = Claimed(
        id=item.id,
        dossier=item.instance_id,
        prise_en_charge_par=item.claimed_by.name if item.claimed_by else None,
        message=message,
    )
    db().commit()
    return _json(out)


@bp.post("/taches/<int:task_id>/prendre")
@spec.validate(
    resp=Responses(HTTP_200=Claimed, HTTP_403=ProblemOut, HTTP_404=ProblemOut, HTTP_409=ProblemOut),
    tags=[TAG],
)
@require("ecriture", access.may_use_inbox)
def claim(task_id: int) -> Response:
    """*Prendre en charge*\u00a0: la tâche n'est plus que dans votre bannette."""
    return _claim_action(task_id, take=True)


@bp.post("/taches/<int:task_id>/liberer")
@spec.validate(
    resp=Responses(HTTP_200=Claimed, HTTP_403=ProblemOut, HTTP_404=ProblemOut, HTTP_409=ProblemOut),
    tags=[TAG],
)
@require("ecriture", access.may_use_inbox)
def release(task_id: int) -> Response:
    """*Libérer*\u00a0: la tâche retourne dans la bannette de son rôle."""
    return _claim_action(task_id, take=False)
