"""The bulk actions offered on a selection of dossiers (see bulk.py for how they run).

To add one (e.g. *Inscrire à une séance*): write its `prepare` and `act`, a template
`web/templates/instruction/lot/<name>.html` with its fields, and list it in `ACTIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from engine.core.actor import REVIEWER_ROLES, Actor
from engine.core.errors import Conflict, FormInvalid
from engine.core.models import Instance, User, WorkItem, WorkItemStatus, as_id
from engine.workflow import access
from engine.workflow.actions import claims
from engine.workflow.messagerie import writing
from engine.workflow.worklists.bulk import BulkAction, BulkContext

USER_FIELD = "utilisateur"


# --- Réattribuer -------------------------------------------------------------------------------


def _reviewers(context: BulkContext) -> Mapping[str, Any]:
    users = context.session.scalars(
        select(User).where(User.active.is_(True)).order_by(User.name, User.id)
    )
    return {"people": [user for user in users if user.role_names & REVIEWER_ROLES]}


def _prepare_reassign(context: BulkContext, form: Mapping[str, str]) -> User:
    user_id = as_id(form.get(USER_FIELD))
    target = context.session.get(User, user_id) if user_id is not None else None
    if target is None or not target.active or not target.role_names & REVIEWER_ROLES:
        raise FormInvalid({USER_FIELD: "Choisissez une personne de la liste."})
    return target


def _reassign(context: BulkContext, instance: Instance, target: User) -> str:
    """The dossier's open tasks of a role the person holds go to them (`claims.reassign`
    checks each, as for one task)."""
    items = context.session.scalars(
        select(WorkItem)
        .where(WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN)
        .order_by(WorkItem.id)
    ).all()
    fitting = [item for item in items if item.role in target.role_names]
    if not fitting:
        raise Conflict(
            f"Aucune tâche ouverte de ce dossier ne relève des rôles de {target.name}\u00a0: "
            "il n'attend pas (ou plus) cette personne."
        )
    titles = []
    for item in fitting:
        claims.reassign(context.session, context.actor, item.id, target.id)
        titles.append(f"«\u00a0{item.task_title}\u00a0»")
    return f"{', '.join(titles)} réattribuée{'s' if len(titles) > 1 else ''} à {target.name}."


# --- Envoyer un message ------------------------------------------------------------------------


def _prepare_message(_context: BulkContext, form: Mapping[str, str]) -> str:
    return writing.message_body(form.get(writing.BODY_FIELD, ""))


def _message(context: BulkContext, instance: Instance, text: str) -> str:
    if context.store is None:
        raise Conflict("L'envoi de messages n'est pas disponible ici.")
    writing.send_message(context.session, context.store, context.actor, instance.id, text, [])
    return "Message envoyé (le demandeur en est averti par courriel)."


# --- Exporter ----------------------------------------------------------------------------------


def _prepare_export(_context: BulkContext, _form: Mapping[str, str]) -> None:
    return None


def _no_act(_context: BulkContext, _instance: Instance, _prepared: object) -> str:
    return ""


def _may_export(actor: Actor) -> bool:
    return access.may_read_all_dossiers(actor)


ACTIONS: dict[str, BulkAction] = {
    action.name: action
    for action in (
        BulkAction(
            "reattribuer",
            "Réattribuer",
            access.may_reassign_tasks,
            _prepare_reassign,
            _reassign,
            _reviewers,
        ),
        BulkAction(
            "message",
            "Envoyer un message",
            access.may_read_all_dossiers,
            _prepare_message,
            _message,
        ),
        # The selection goes to the export form (web/instruction/exports.py).
        BulkAction(
            "exporter", "Exporter", _may_export, _prepare_export, _no_act, per_dossier=False
        ),
    )
}


def offered(actor: Actor) -> list[BulkAction]:
    return [action for action in ACTIONS.values() if action.may_use(actor)]
