"""Who receives an email: each template names a kind of recipient (`destinataire:`), resolved
here against the dossier, its data and its work item. Only active accounts receive emails,
and, for what the submitter's side is told, the dossier's contact address (`contact_courriel`,
given at the dépôt) when it is not already one of them: an address need not be an account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, lazyload

from engine.core.directory import users_with_role
from engine.core.models import Instance, RoleName, User, WorkItem, as_id

# The field of the filing form that names the person to contact about the dossier.
CONTACT_FIELD = "contact_courriel"
CONTACT_MAX = 254  # the column's size, an address's longest

RECIPIENT_LABELS = {
    "demandeur": "Le demandeur (auteur du dossier)",
    "rapporteur": "Le rapporteur désigné",
    "file": (
        "La personne à qui la tâche est attribuée ou qui la détient déjà, "
        "sinon chaque membre de son équipe"
    ),
    "organisation": "Les demandeurs de l'organisation du dossier (le certificateur d'un retrait)",
    "compte": "Le titulaire du compte (hors procédure)",
}
# Those who read the dossier from the submitter's side (`/demandes/…`), not the staff's.
SUBMITTER_SIDE = frozenset({"demandeur", "organisation"})


@dataclass(frozen=True)
class Addressee:
    """Where one email goes: an account, or the dossier's contact address (`user_id` None)."""

    email: str
    name: str
    user_id: int | None

    @property
    def key(self) -> str:
        """Stable within a dossier: one email per cause and addressee."""
        return str(self.user_id) if self.user_id is not None else f"contact:{self.email.lower()}"


def addressees(
    session: Session,
    instance: Instance,
    kind: str,
    data: dict[str, Any],
    item: WorkItem | None,
) -> list[Addressee]:
    """The accounts `recipients` gives, then the dossier's contact address for what the
    submitter's side receives."""
    users = recipients(session, instance, kind, data, item)
    found = [Addressee(user.email, user.name, user.id) for user in users]
    submitter_side = kind in SUBMITTER_SIDE or (
        kind == "file" and item is not None and item.role == RoleName.DEMANDEUR
    )
    contact = contact_address(instance) if submitter_side else None
    if contact and all(a.email.casefold() != contact.casefold() for a in found):
        found.append(Addressee(contact, "", None))
    return found


def contact_address(instance: Instance) -> str | None:
    """The latest contact address filed on the dossier (kept on it by the completion that
    files it, `remember_contact`)."""
    return instance.contact_courriel


def remember_contact(instance: Instance, data: dict[str, Any]) -> None:
    """Keep the contact address a completion files (an address, not any text)."""
    value = data.get(CONTACT_FIELD)
    if isinstance(value, str) and "@" in value and len(value.strip()) <= CONTACT_MAX:
        instance.contact_courriel = value.strip()


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
            session, RoleName.DEMANDEUR, organisation_id=instance.organisation_id, roles=False
        )
    if item is None:
        return []
    if item.claimed_by_id is not None:  # arrived already taken: its holder only
        return _active(session, item.claimed_by_id)
    if item.assignee_id is not None:
        return _active(session, item.assignee_id)
    if item.organisation_id is None and item.role == RoleName.DEMANDEUR:
        return []  # a submitters' task belongs to one organisation
    return users_with_role(session, item.role, organisation_id=item.organisation_id, roles=False)


def _active(session: Session, user_id: int | None) -> list[User]:
    # An email needs a name and an address, not the roles (loaded only if read).
    user = (
        session.get(User, user_id, options=[lazyload(User.roles)]) if user_id is not None else None
    )
    return [user] if user is not None and user.active else []
