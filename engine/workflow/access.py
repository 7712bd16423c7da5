"""Who may do what: every access rule, written once.

A rule is a function of the actor and the object. The page calls it to show a menu entry, a
link or a button; the action calls the same function to perform the request or refuse it, so
what is shown and what is allowed cannot drift apart. A rule that refuses an action says why
with a `Refusal`: the error the action raises (404 when the object stays hidden from this
actor, 403 when it is someone else's, 409 when its state moved on) and its French message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.directory import users_with_role
from engine.core.errors import Conflict, Forbidden, InventaireError, NotFound
from engine.core.models import (
    REGISTER_STATUS_LABELS,
    REGISTRE_DE,
    Instance,
    InstanceStatus,
    RegisterEntry,
    RegisterStatus,
    RoleName,
    User,
    WorkItem,
    WorkItemStatus,
    registre_of,
)
from engine.definitions.definition import ProcessDefinition
from engine.workflow.conflicts import conflict_message


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: the error it raises and the message the user reads."""

    error: type[InventaireError]
    message: str = ""
    # A task someone else took or finished: the message, read when raised, says who and when.
    raced_item_id: int | None = None

    def exception(self, session: Session) -> InventaireError:
        if self.raced_item_id is not None:
            message = conflict_message(session, self.raced_item_id)
            return Conflict(message, work_item_id=self.raced_item_id)
        return self.error(self.message)


def enforce(session: Session, refusal: Refusal | None) -> None:
    """The action's side of a rule: go on when allowed, else raise the refusal's error."""
    if refusal is not None:
        raise refusal.exception(session)


# --- spaces: the menu entries and the pages behind them ------------------------------------


def may_use_submitter_space(actor: Actor) -> bool:
    """*Mes demandes*: the submitters' requests, their forms and their tasks."""
    return actor.has(RoleName.DEMANDEUR)


def may_use_inbox(actor: Actor) -> bool:
    """*Bannette* and the reviewers' task pages: recevabilité, rapporteurs, commission."""
    return actor.is_reviewer


def may_read_all_dossiers(actor: Actor) -> bool:
    """*Tous les dossiers* and every dossier's page in the instruction space: the CNCP's staff
    (reviewers, administrators, process owners)."""
    return actor.is_staff


def may_open_studio(actor: Actor) -> bool:
    """The studio: models, drafts, scenarios, deployment, version migration."""
    return actor.has(RoleName.PROPRIETAIRE)


def may_open_administration(actor: Actor) -> bool:
    """The administration's home and its incidents page: administrators, and process owners
    (who correct the diagrams behind the incidents)."""
    return actor.has(RoleName.ADMIN) or actor.has(RoleName.PROPRIETAIRE)


def may_administer(actor: Actor) -> bool:
    """Accounts, organisations, the outbox and its templates, scheduled jobs and *Relancer*."""
    return actor.has(RoleName.ADMIN)


def may_reassign_tasks(actor: Actor) -> bool:
    """*Réattribuer*: the secrétariat (recevabilité) and administrators hand tasks over."""
    return actor.has(RoleName.RECEVABILITE) or actor.has(RoleName.ADMIN)


def may_open_task_pages(actor: Actor) -> bool:
    """The reviewers' task pages: reviewers, and those who hand tasks over (`may_read_task`
    says which task)."""
    return may_use_inbox(actor) or may_reassign_tasks(actor)


# --- dossiers ---------------------------------------------------------------------------------


def may_see_dossier(actor: Actor, instance: Instance) -> bool:
    """CNCP staff see every dossier; a submitter only those of their organisation."""
    if may_read_all_dossiers(actor):
        return True
    return (
        actor.has(RoleName.DEMANDEUR)
        and actor.organisation_id is not None
        and instance.organisation_id == actor.organisation_id
    )


def may_read_staff_side(actor: Actor) -> bool:
    """Within a dossier one sees: CNCP staff read all of it (the whole trail, every filed form,
    the agents' names, the process's errors); a submitter reads their side of it."""
    return actor.is_staff


def visible_dossiers(actor: Actor) -> ColumnElement[bool]:
    """`may_see_dossier` as a condition on `instance` rows (the lists of dossiers)."""
    if may_read_all_dossiers(actor):
        return true()
    if not actor.has(RoleName.DEMANDEUR) or actor.organisation_id is None:
        return false()
    return Instance.organisation_id == actor.organisation_id


def refusal_to_start(actor: Actor, definition: ProcessDefinition) -> Refusal | None:
    """Who opens a dossier of a process: a submitter attached to an organisation (their own
    request), or the role the process names (the commission opens a retrait)."""
    if definition.start_role == RoleName.DEMANDEUR:
        if not actor.has(RoleName.DEMANDEUR) or actor.organisation_id is None:
            return Refusal(
                Forbidden, "Seul un demandeur rattaché à une organisation peut créer une demande."
            )
        return None
    if not actor.has(definition.start_role):
        return Refusal(
            Forbidden,
            f"Seul le rôle «\u00a0{definition.start_role}\u00a0» peut engager\u00a0: "
            f"{definition.title}.",
        )
    return None


# --- pieces -----------------------------------------------------------------------------------


def may_see_piece(
    actor: Actor,
    instance: Instance,
    uploaded_by_organisation_id: int | None,
    *,
    generated: bool = False,
) -> bool:
    """A piece is read by whoever sees its dossier, except that a submitter reads only the
    pieces filed by people of the dossier's organisation (those of the CNCP stay internal) and
    the documents generated for the dossier (`generated`: letters and attestations, addressed
    to its submitter)."""
    if not may_see_dossier(actor, instance):
        return False
    if may_read_staff_side(actor) or generated:
        return True
    return (
        uploaded_by_organisation_id is not None
        and uploaded_by_organisation_id == instance.organisation_id
    )


# --- messagerie and annotations privées (and their pieces jointes) --------------------------


def may_read_messages(actor: Actor, instance: Instance) -> bool:
    """The messagerie: whoever sees the dossier (its organisation's submitters, the staff)."""
    return may_see_dossier(actor, instance)


def refusal_to_write_message(actor: Actor, instance: Instance) -> Refusal | None:
    """Its organisation's submitters and the staff who work on dossiers (not administrators
    nor process owners), on a filed dossier with a submitter's side, until it is closed."""
    if not may_read_messages(actor, instance):
        return Refusal(NotFound, "Dossier introuvable.")
    if may_read_staff_side(actor) and not actor.is_reviewer:
        return Refusal(
            Forbidden, "Seuls les agents qui instruisent les dossiers écrivent dans la messagerie."
        )
    if instance.organisation_id is None:
        return Refusal(
            Conflict, "Le certificateur n'a pas de compte\u00a0: ce dossier n'a pas de messagerie."
        )
    if instance.reference is None:
        return Refusal(Conflict, "La messagerie s'ouvre au dépôt de la demande.")
    if instance.status == InstanceStatus.COMPLETED:
        return Refusal(
            Conflict,
            f"Ce dossier est clos ({instance.status_label})\u00a0: sa messagerie ne reçoit plus "
            "de messages.",
        )
    return None


def may_write_message(actor: Actor, instance: Instance) -> bool:
    return refusal_to_write_message(actor, instance) is None


def may_read_annotations(actor: Actor, instance: Instance) -> bool:
    """Annotations privées: the staff (the commission included), never a submitter."""
    return may_see_dossier(actor, instance) and may_read_staff_side(actor)


def refusal_to_write_annotation(actor: Actor, instance: Instance) -> Refusal | None:
    """The staff who work on dossiers, on a filed dossier (closed or not); 404 to the rest."""
    if not may_read_annotations(actor, instance):
        return Refusal(NotFound, "Dossier introuvable.")
    if not actor.is_reviewer:
        return Refusal(
            Forbidden, "Seuls les agents qui instruisent les dossiers écrivent des annotations."
        )
    if instance.reference is None:
        return Refusal(Conflict, "Les annotations s'ouvrent au dépôt de la demande.")
    return None


def may_write_annotation(actor: Actor, instance: Instance) -> bool:
    return refusal_to_write_annotation(actor, instance) is None


# --- work items -------------------------------------------------------------------------------


def may_hold(actor: Actor, role: str, organisation_id: int | None) -> bool:
    """Whether work of `role` may go to the actor: the role, and the dossier's organisation when
    the lane is scoped to it (`organisation_id`). The rule of every assignment: who works on a
    task, to whom it is reassigned, who a form designates."""
    if role not in actor.roles or actor.id is None:
        return False
    return organisation_id is None or organisation_id == actor.organisation_id


def may_work_on(actor: Actor, item: WorkItem) -> bool:
    """Who may read a task's page: the lane's role, the dossier's organisation when the lane is
    scoped to it, the designated user if any."""
    if not may_hold(actor, item.role, item.organisation_id):
        return False
    return item.assignee_id is None or item.assignee_id == actor.id


def may_read_task(actor: Actor, item: WorkItem) -> bool:
    """Who may open a task's page: whoever may work on it, and whoever may hand it over
    (the page then offers *Réattribuer*, not the form)."""
    return may_work_on(actor, item) or may_reassign(actor, item)


def refusal_to_act(actor: Actor, item: WorkItem, instance: Instance) -> Refusal | None:
    """Who may fill a task's form (save a draft, complete it): one who may work on it, while it
    is open, not taken by someone else, and the dossier not blocked by a process error."""
    if not may_see_dossier(actor, instance):
        return Refusal(NotFound, "Tâche introuvable.")
    if item.status != WorkItemStatus.OPEN:
        return Refusal(Conflict, raced_item_id=item.id)
    if not may_work_on(actor, item):
        return Refusal(Forbidden, "Cette tâche ne vous est pas attribuée.")
    if item.claimed_by_id and item.claimed_by_id != actor.id:
        return Refusal(Conflict, raced_item_id=item.id)
    if instance.status == InstanceStatus.ERROR:
        return Refusal(
            Conflict,
            "Ce dossier est bloqué par une erreur du processus\u202f; le propriétaire du processus "
            "en est informé.",
        )
    return None


def may_act(actor: Actor, item: WorkItem, instance: Instance) -> bool:
    """Whether the task's form (or a link to it) is offered: see `refusal_to_act`."""
    return refusal_to_act(actor, item, instance) is None


def refusal_to_claim(actor: Actor, item: WorkItem, instance: Instance) -> Refusal | None:
    """*Prendre en charge*: whoever may act on a task nobody has taken yet."""
    refused = refusal_to_act(actor, item, instance)
    if refused is not None:
        return refused
    if item.claimed_by_id == actor.id:
        return Refusal(Conflict, "Vous avez déjà pris en charge cette tâche.")
    return None


def may_claim(actor: Actor, item: WorkItem, instance: Instance) -> bool:
    """Whether *Prendre en charge* is offered: see `refusal_to_claim`."""
    return refusal_to_claim(actor, item, instance) is None


def refusal_to_release(actor: Actor, item: WorkItem, instance: Instance) -> Refusal | None:
    """*Libérer*: the one who took the task gives it back, while they may still act on it."""
    refused = refusal_to_act(actor, item, instance)
    if refused is not None:
        return refused
    if item.claimed_by_id != actor.id:
        return Refusal(Conflict, "Vous n'avez pas pris en charge cette tâche.")
    return None


def may_release(actor: Actor, item: WorkItem, instance: Instance) -> bool:
    """Whether *Libérer* is offered: see `refusal_to_release`."""
    return refusal_to_release(actor, item, instance) is None


def refusal_to_reassign(actor: Actor, item: WorkItem) -> Refusal | None:
    """*Réattribuer*: the secrétariat or an administrator hands an open task to someone else
    (to whom: `reassignable_to`)."""
    if not may_reassign_tasks(actor):
        return Refusal(
            Forbidden, "Seuls le secrétariat et les administrateurs peuvent réattribuer."
        )
    if item.status != WorkItemStatus.OPEN:
        return Refusal(Conflict, raced_item_id=item.id)
    return None


def may_reassign(actor: Actor, item: WorkItem) -> bool:
    """Whether *Réattribuer* is offered: see `refusal_to_reassign`."""
    return refusal_to_reassign(actor, item) is None


def reassignable_to(session: Session, item: WorkItem) -> list[User]:
    """Who the task may be handed to: the active users `may_hold` accepts, by name."""
    holders = users_with_role(session, item.role, organisation_id=item.organisation_id)
    return [
        user for user in holders if may_hold(Actor.from_user(user), item.role, item.organisation_id)
    ]


def may_be_designated(
    definition: ProcessDefinition, instance: Instance, name: str, role: str, user: User
) -> bool:
    """Who a form's user field may name: the rule of `may_hold` for the field's role and for
    each lane whose tasks go to the person the field designates; a role that works for the
    dossier's organisation in some lane is designated within that organisation only."""
    if not user.active:
        return False
    candidate = Actor.from_user(user)
    organisation = instance.organisation_id
    field_scoped = any(
        rule.role == role and rule.scope == "organisation" for rule in definition.lanes.values()
    )
    if not may_hold(candidate, role, organisation if field_scoped else None):
        return False
    return all(
        may_hold(candidate, rule.role, organisation if rule.scope == "organisation" else None)
        for rule in definition.lanes.values()
        if rule.assignee_variable == name
    )


def inbox_filter(actor: Actor) -> ColumnElement[bool]:
    """The *Bannette*: open work items the actor may take (`may_work_on`, not taken by
    someone else) as a condition on `work_item` rows."""
    if actor.id is None or not actor.roles:
        return false()
    return and_(
        WorkItem.status == WorkItemStatus.OPEN,
        WorkItem.role.in_(sorted(actor.roles)),
        or_(WorkItem.assignee_id.is_(None), WorkItem.assignee_id == actor.id),
        or_(WorkItem.claimed_by_id.is_(None), WorkItem.claimed_by_id == actor.id),
        or_(
            WorkItem.organisation_id.is_(None),
            WorkItem.organisation_id == (actor.organisation_id or -1),
        ),
    )


# --- register entries -------------------------------------------------------------------------


def refusal_to_renew(
    actor: Actor, entry: RegisterEntry, certifier_organisation_id: int | None
) -> Refusal | None:
    """*Demander le renouvellement*: a submitter of the entry's certifier, unless the entry was
    *Retirée* from the register."""
    if (
        not actor.has(RoleName.DEMANDEUR)
        or certifier_organisation_id is None
        or certifier_organisation_id != actor.organisation_id
    ):
        return Refusal(
            Forbidden,
            "Seul le certificateur de cette certification peut en demander le renouvellement.",
        )
    if entry.statut == RegisterStatus.RETIREE:
        # Its own register: an RS entry was never in the Inventaire.
        where = REGISTRE_DE[registre_of(entry.registre)]
        return Refusal(
            Conflict,
            f"{entry.numero} a été retirée {where}\u00a0: elle ne peut être renouvelée.",
        )
    return None


def refusal_to_start_retrait(
    actor: Actor,
    entry: RegisterEntry,
    retrait: ProcessDefinition,
    running_retrait: Callable[[], str | None],
) -> Refusal | None:
    """*Engager un retrait*: whoever may open the retrait process (the commission), for an
    active entry with no retrait in progress (`running_retrait`: its reference, if any,
    looked up only when the rest allows)."""
    refused = refusal_to_start(actor, retrait)
    if refused is not None:
        return refused
    if entry.statut != RegisterStatus.ACTIVE:
        label = REGISTER_STATUS_LABELS[RegisterStatus(entry.statut)]
        return Refusal(
            Conflict,
            f"Seule une certification active peut être retirée\u202f; {entry.numero} est {label}.",
        )
    if running_retrait() is not None:
        return Refusal(Conflict, f"Un retrait de {entry.numero} est déjà en cours.")
    return None
