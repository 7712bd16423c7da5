"""The spaces: the menu entries and the pages behind them."""

from __future__ import annotations

from engine.core.actor import Actor
from engine.core.models import (
    RoleName,
)


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


def may_read_staff_statistics(actor: Actor) -> bool:
    """The secretariat's statistics (*Statistiques de suivi*): the staff, who read every
    dossier (`may_read_all_dossiers`), may read their counts and delays."""
    return may_read_all_dossiers(actor)


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


def may_see_seances(actor: Actor) -> bool:
    """*Séances*: their calendar, ordres du jour and procès-verbaux: the secretariat and the
    commission (administrators too); never a submitter, who reads the date in their dossier."""
    return (
        actor.has(RoleName.RECEVABILITE)
        or actor.has(RoleName.COMMISSION)
        or actor.has(RoleName.ADMIN)
    )


def may_manage_seances(actor: Actor) -> bool:
    """Create, edit, move, cancel and hold séances, and put dossiers on their agenda: the
    secretariat (and administrators)."""
    return actor.has(RoleName.RECEVABILITE) or actor.has(RoleName.ADMIN)
