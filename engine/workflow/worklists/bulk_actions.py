"""The bulk actions offered on a selection of dossiers (see bulk.py for how they run).

To add one: write its `prepare` and `act`, a template
`web/templates/instruction/lot/<name>.html` with its fields, and list it in `ACTIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from engine.core.actor import REVIEWER_ROLES, Actor
from engine.core.clock import utcnow
from engine.core.errors import Conflict, FormInvalid
from engine.core.models import Instance, Seance, SeanceStatus, User, WorkItem, WorkItemStatus, as_id
from engine.workflow import access
from engine.workflow.actions import claims
from engine.workflow.messagerie import writing
from engine.workflow.seances.choice import label as seance_label
from engine.workflow.seances.common import commissions
from engine.workflow.seances.inscription import inscrire_a_la_seance
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


# --- Inscrire à une séance ---------------------------------------------------------------------

SEANCE_FIELD = "seance"


def _coming(context: BulkContext) -> list[Seance]:
    return list(
        context.session.scalars(
            select(Seance)
            .where(Seance.statut == SeanceStatus.PREVUE, Seance.debut > utcnow())
            .order_by(Seance.debut, Seance.id)
        )
    )


def _seances(context: BulkContext) -> Mapping[str, Any]:
    names = commissions(context.session)
    return {
        "seances": [
            (
                seance.id,
                f"{names.get(seance.commission, seance.commission)} — {seance_label(seance)}",
            )
            for seance in _coming(context)
        ]
    }


def _prepare_inscription(context: BulkContext, form: Mapping[str, str]) -> int:
    seance_id = as_id(form.get(SEANCE_FIELD))
    if seance_id is None or seance_id not in {seance.id for seance in _coming(context)}:
        raise FormInvalid({SEANCE_FIELD: "Choisissez une séance prévue de la liste."})
    return seance_id


def _inscribe(context: BulkContext, instance: Instance, seance_id: int) -> str:
    """The séance's own rule (engine.workflow.seances.inscription), as on the séance's page."""
    outcome = inscrire_a_la_seance(context.session, context.actor, seance_id, instance.id)
    if not outcome.done:
        raise Conflict(outcome.message)
    return outcome.message


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
            access.may_write_messages,
            _prepare_message,
            _message,
        ),
        BulkAction(
            "seance",
            "Inscrire à une séance",
            access.may_manage_seances,
            _prepare_inscription,
            _inscribe,
            _seances,
        ),
        # The selection goes to the export form (web/instruction/exports.py).
        BulkAction(
            "exporter", "Exporter", _may_export, _prepare_export, _no_act, per_dossier=False
        ),
    )
}


def offered(actor: Actor) -> list[BulkAction]:
    return [action for action in ACTIONS.values() if action.may_use(actor)]
