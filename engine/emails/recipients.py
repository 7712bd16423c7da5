"""Who receives an email: each template names a kind of recipient (`destinataire:`), resolved
here against the dossier, its data and its work item. Only active accounts receive emails,
and, for what the submitter's side is told, the dossier's contact address (`contact_courriel`,
given at the dépôt) when it is not already one of them: an address need not be an account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import substitutions
from engine.core.directory import Addressable, active_person, people_with_role
from engine.core.models import Instance, RoleName, WorkItem, WorkItemStatus, as_id
from engine.definitions.definition import ProcessDefinition, definition_for

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
    "messagerie_demandeur": (
        "L'auteur du dossier (pour un retrait, les demandeurs de l'organisation) et l'adresse "
        "de contact"
    ),
    "expert": "L'expert extérieur invité à donner son avis sur le dossier (sans compte)",
    "expert_inviteur": "L'agent qui a invité l'expert",
    "messagerie_instruction": (
        "Les agents qui détiennent les tâches ouvertes du dossier, sinon tous ceux qui peuvent "
        "les prendre, sinon le secrétariat du processus"
    ),
}
# Those who read the dossier from the submitter's side (`/demandes/…`), not the staff's.
SUBMITTER_SIDE = frozenset({"demandeur", "organisation", "messagerie_demandeur"})


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
) -> list[Addressable]:
    """The users a template of this kind of recipient goes to, for this dossier (and its work
    item, for `file`); an agent absent today is replaced by their suppléant."""
    found = _recipients(session, instance, kind, data, item)
    return found if kind == "compte" else standing_in(session, found)


def standing_in(session: Session, users: Sequence[Addressable]) -> list[Addressable]:
    """Each absent agent (engine.core.substitutions) replaced by their suppléant, once."""
    replacing = substitutions.suppleants_of(
        session, [user.id for user in users], substitutions.paris_today()
    )
    if not replacing:
        return list(users)
    result: list[Addressable] = []
    for user in users:
        if user.id in replacing:
            result.extend(_active(session, replacing[user.id]))
        else:
            result.append(user)
    unique = {user.id: user for user in result}
    return list(unique.values())


def _recipients(
    session: Session,
    instance: Instance,
    kind: str,
    data: dict[str, Any],
    item: WorkItem | None,
) -> list[Addressable]:
    if kind == "demandeur":
        return _active(session, instance.created_by_id)
    if kind == "rapporteur":
        return _active(session, as_id(data.get("rapporteur_id")))
    if kind == "organisation":
        return _organisation(session, instance)
    if kind == "messagerie_demandeur":
        author = _active(session, instance.created_by_id)
        if author and author[0].organisation_id == instance.organisation_id:
            return author
        return _organisation(session, instance)  # a retrait, engaged by the staff
    if kind == "messagerie_instruction":
        return dossier_agents(session, instance)
    if item is None:
        return []
    if item.claimed_by_id is not None:  # arrived already taken: its holder only
        return _active(session, item.claimed_by_id)
    if item.assignee_id is not None:
        return _active(session, item.assignee_id)
    if item.organisation_id is None and item.role == RoleName.DEMANDEUR:
        return []  # a submitters' task belongs to one organisation
    return list(people_with_role(session, item.role, organisation_id=item.organisation_id))


def dossier_agents(session: Session, instance: Instance) -> list[Addressable]:
    """Who a submitter's message goes to: the agents holding the dossier's open tasks (taken,
    else designated); when none is held, everyone who may take them (their role); when the
    dossier waits for no agent (the submitter's complements, a timer), its process's
    secrétariat: the `recevabilite` role where a lane has it, else the role of its first
    agents' lane (France compétences' services for the Répertoire spécifique)."""
    items = session.scalars(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id,
            WorkItem.status == WorkItemStatus.OPEN,
            WorkItem.role != RoleName.DEMANDEUR,
        )
    ).all()
    holders = {held for item in items if (held := item.claimed_by_id or item.assignee_id)}
    found = [user for user_id in sorted(holders) for user in _active(session, user_id)]
    if found:
        return sorted(found, key=lambda user: user.name)
    teams = {(item.role, item.organisation_id) for item in items} or {
        (secretariat_role(definition_for(session, instance.process_version_id)), None)
    }
    found_by_id = {
        user.id: user
        for role, organisation_id in sorted(teams, key=str)
        for user in people_with_role(session, role, organisation_id=organisation_id)
    }
    return sorted(found_by_id.values(), key=lambda user: user.name)


def secretariat_role(definition: ProcessDefinition) -> str:
    """The role that answers for a process when no task waits for an agent."""
    roles = [rule.role for rule in definition.lanes.values() if rule.role != RoleName.DEMANDEUR]
    return RoleName.RECEVABILITE if RoleName.RECEVABILITE in roles or not roles else roles[0]


def _organisation(session: Session, instance: Instance) -> list[Addressable]:
    if instance.organisation_id is None:
        return []
    return list(
        people_with_role(session, RoleName.DEMANDEUR, organisation_id=instance.organisation_id)
    )


def _active(session: Session, user_id: int | None) -> list[Addressable]:
    person = active_person(session, user_id) if user_id is not None else None
    return [person] if person is not None else []
