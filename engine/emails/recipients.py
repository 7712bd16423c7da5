"""Who receives an email: each template names a kind of recipient (`destinataire:`), resolved
here against the dossier, its data and its work item. Only active accounts receive emails."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.core.directory import users_with_role
from engine.core.models import Instance, RoleName, User, WorkItem, as_id

RECIPIENT_LABELS = {
    "demandeur": "Le demandeur (auteur du dossier)",
    "rapporteur": "Le rapporteur désigné",
    "file": "La personne à qui la tâche est attribuée, sinon chaque membre de son équipe",
    "organisation": "Les demandeurs de l'organisation du dossier (le certificateur d'un retrait)",
    "compte": "Le titulaire du compte (hors procédure)",
}
# Those who read the dossier from the submitter's side (`/demandes/…`), not the staff's.
SUBMITTER_SIDE = frozenset({"demandeur", "organisation"})


def recipients(
    session: Session,
    instance: Instance,
    kind: str,
    data: dict[str, Any],
    item: WorkItem | None,
) -> list[User]:
    """The users a template of this kind of recipient goes to, for this dossier (and its work
    item, for `file`)."""
    if kind == "demandeur":
        return _active(session, instance.created_by_id)
    if kind == "rapporteur":
        return _active(session, as_id(data.get("rapporteur_id")))
    if kind == "organisation":
        if instance.organisation_id is None:
            return []
        return users_with_role(
            session, RoleName.DEMANDEUR, organisation_id=instance.organisation_id
        )
    if item is None:
        return []
    if item.assignee_id is not None:
        return _active(session, item.assignee_id)
    if item.organisation_id is None and item.role == RoleName.DEMANDEUR:
        return []  # a submitters' task belongs to one organisation
    return users_with_role(session, item.role, organisation_id=item.organisation_id)


def _active(session: Session, user_id: int | None) -> list[User]:
    user = session.get(User, user_id) if user_id is not None else None
    return [user] if user is not None and user.active else []
