"""The task page shared by submitters and reviewers: the dossier beside the form."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from engine.core.actor import Actor
from engine.core.errors import Conflict, ExecutionError, FormInvalid, ScriptError
from engine.core.models import Instance
from engine.workflow import access
from engine.workflow.actions import completing, failures
from engine.workflow.conflicts import conflict_message
from engine.workflow.dossier_page import dossier_view
from engine.workflow.task_page import TaskContext, task_context
from web.database import db
from web.errors import error_page
from web.formdata import read_form
from web.formrender import build_form_view

log = logging.getLogger("inventaire.web.taskpage")
Page = str | tuple[str, int] | Response

PROCESS_FAILURE = (
    "Le traitement n'a pas pu aboutir à cause d'une erreur dans le modèle du processus. "
    "Le propriétaire du processus en est informé. Vos saisies sont conservées ci-dessous."
)


def keep_process_failure(
    actor: Actor, instance_id: int, error: ScriptError | ExecutionError
) -> None:
    """Roll the action back, then keep the diagram's error for the process owner (and block
    the dossier when the engine had to stop it)."""
    db().rollback()
    failures.record_failure(
        db(), actor, instance_id, error.user_message, blocking=isinstance(error, ExecutionError)
    )
    db().commit()
    log.error(
        "Incident: the process model failed on dossier %s: %s",
        instance_id,
        error.user_message,
        extra={"incident": "process", "dossier_id": instance_id, "error": error.user_message},
    )


def render_task(
    template: str,
    actor: Actor,
    context: TaskContext,
    *,
    data: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    status: int = 200,
    **extra: Any,
) -> tuple[str, int]:
    dossier = dossier_view(db(), actor, context.instance_id)
    values = data if data is not None else context.values
    documents = {str(piece.id): piece.name for piece in dossier.pieces}
    form_view = build_form_view(
        context.form,
        values,
        errors or {},
        user_choices=context.user_choices,
        documents=documents,
    )
    return (
        render_template(
            template, task=context, dossier=dossier, form_view=form_view, alert=alert, **extra
        ),
        status,
    )


def submit_task(
    template: str,
    actor: Actor,
    work_item_id: int,
    success: Callable[[completing.ActionResult], str],
    context: TaskContext | None = None,
) -> Page:
    """Complete a task from the posted form; every failure re-renders with the input kept."""
    if context is None:
        context = task_context(db(), actor, work_item_id, for_display=False)

    def again(**page: Any) -> tuple[str, int]:
        shown = task_context(db(), actor, work_item_id)
        return render_task(template, actor, shown, status=422, **page)

    if context.refusal is not None:
        db().rollback()
        access.enforce(db(), context.refusal)
    instance = db().get(Instance, context.instance_id)
    assert instance is not None
    data, errors = read_form(actor, instance, context.form)
    if errors:
        db().rollback()
        return again(data=data, errors=errors)
    try:
        result = completing.complete_work_item(db(), actor, work_item_id, data)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return again(data=data, errors=error.errors)
    except Conflict:
        db().rollback()
        return error_page(409, conflict_message(db(), work_item_id))
    except OperationalError:
        # SQLite refuses a second writer at the same instant: the same answer as a lost race.
        log.warning("Write conflict on work item %s", work_item_id, exc_info=True)
        db().rollback()
        return error_page(409, conflict_message(db(), work_item_id))
    except (ScriptError, ExecutionError) as error:
        keep_process_failure(actor, context.instance_id, error)
        return again(data=data, alert=PROCESS_FAILURE)
    flash(result.message, "success")
    return redirect(success(result))
