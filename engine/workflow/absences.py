"""Declaring an absence and its suppléant; ending it early; cancelling it.

An agent (who works on dossiers) declares their own absences; an administrator declares anyone's
(`access.refusal_to_manage_absence`). While it is in force, the suppléant's *Bannette* holds the
absent agent's tasks, the suppléant acts on them (`access.acts_for`) and the emails meant for the
absent agent go to the suppléant (`engine.emails.recipients.standing_in`).

The suppléant must hold every role the absent agent works with on dossiers (recevabilité,
rapporteur, commission, directeur général): then every task of the agent is one the suppléant
may hold. Two absences of one agent never overlap; a suppléant is not absent during the period,
nor is an agent absent while standing in for someone (no chain of suppléants).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, aliased

from engine.core import audit
from engine.core.actor import REVIEWER_ROLES, Actor
from engine.core.clock import utcnow
from engine.core.errors import Conflict, FormInvalid, NotFound
from engine.core.models import ROLE_LABELS, Absence, Role, RoleName, User, UserRole
from engine.core.substitutions import paris_today
from engine.core.typography import date_filter
from engine.workflow.access import enforce, refusal_to_manage_absence

AUDIT_KIND = "absence"


@dataclass(frozen=True)
class AbsenceRow:
    id: int
    agent: str
    agent_id: int
    suppleant: str
    suppleant_id: int
    debut: date
    fin: date
    etat: str  # « À venir », « En cours », « Terminée », « Annulée »
    may_end: bool
    may_cancel: bool


def agent_roles(user: User) -> frozenset[str]:
    """The roles an absence hands over: those that work on dossiers."""
    return user.role_names & REVIEWER_ROLES


def agents(session: Session) -> list[User]:
    """The active users who work on dossiers (who may be absent, or stand in), by name."""
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Role, Role.id == UserRole.role_id)
        .where(User.active.is_(True), Role.name.in_(sorted(REVIEWER_ROLES)))
        .order_by(User.name, User.id)
        .distinct()
    )
    return list(session.scalars(query))


def possible_suppleants(session: Session, agent: User) -> list[User]:
    """Who may stand in for the agent: another active agent holding all the agent's roles."""
    needed = agent_roles(agent)
    return [
        user
        for user in agents(session)
        if user.id != agent.id and needed and needed <= user.role_names
    ]


def _overlapping(debut: date, fin: date) -> list[ColumnElement[bool]]:
    return [Absence.cancelled_at.is_(None), Absence.debut <= fin, Absence.fin >= debut]


def _period(absence: Absence) -> str:
    return f"du {date_filter(absence.debut)} au {date_filter(absence.fin)}"


def declare(
    session: Session,
    actor: Actor,
    agent_id: int | None,
    suppleant_id: int | None,
    debut: date | None,
    fin: date | None,
) -> Absence:
    """A new absence of the agent, audited; FormInvalid (French, per field) when refused."""
    errors: dict[str, str] = {}
    agent = session.get(User, agent_id) if agent_id is not None else None
    if agent is None or not agent.active or not agent_roles(agent):
        raise FormInvalid({"agent": "Choisissez un agent qui instruit des dossiers."})
    enforce(session, refusal_to_manage_absence(actor, agent))
    today = paris_today()
    if debut is None:
        errors["debut"] = "Indiquez la date de début (jj/mm/aaaa)."
    if fin is None:
        errors["fin"] = "Indiquez la date de fin (jj/mm/aaaa)."
    if debut is not None and fin is not None:
        if fin < debut:
            errors["fin"] = "La date de fin précède la date de début."
        elif fin < today:
            errors["fin"] = "Cette absence serait déjà terminée\u00a0: la date de fin est passée."
    suppleant = session.get(User, suppleant_id) if suppleant_id is not None else None
    if suppleant is None or not suppleant.active:
        errors["suppleant"] = "Choisissez un suppléant dans la liste."
    elif suppleant.id == agent.id:
        errors["suppleant"] = "Un agent ne peut pas être son propre suppléant."
    else:
        missing = sorted(agent_roles(agent) - suppleant.role_names)
        if missing:
            labels = ", ".join(
                f"«\u00a0{ROLE_LABELS.get(RoleName(role), role)}\u00a0»" for role in missing
            )
            errors["suppleant"] = (
                f"{suppleant.name} n'a pas le rôle {labels} de l'agent absent\u00a0: il ne "
                "pourrait pas traiter ses tâches."
            )
    if not errors and debut is not None and fin is not None and suppleant is not None:
        errors.update(_conflicts(session, agent, suppleant, debut, fin))
    if errors:
        raise FormInvalid(errors)
    assert debut is not None and fin is not None and suppleant is not None
    absence = Absence(
        user_id=agent.id,
        suppleant_id=suppleant.id,
        debut=debut,
        fin=fin,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(absence)
    session.flush()
    who = "" if actor.id == agent.id else f" de {agent.name}"
    audit.record(
        session,
        None,
        actor,
        AUDIT_KIND,
        f"Absence{who} déclarée {_period(absence)}, suppléant\u00a0: {suppleant.name}.",
        details=_details(absence),
    )
    return absence


def _conflicts(
    session: Session, agent: User, suppleant: User, debut: date, fin: date
) -> dict[str, str]:
    """The absences the new one would overlap: the agent's own, the suppléant's, and those
    where the agent stands in for someone (a chain)."""
    Other = aliased(User)
    rows = session.execute(
        select(Absence, Other.name)
        .join(Other, Other.id == Absence.user_id)
        .where(
            *_overlapping(debut, fin),
            or_(
                Absence.user_id.in_([agent.id, suppleant.id]),
                Absence.suppleant_id == agent.id,
            ),
        )
        .order_by(Absence.debut)
    ).all()
    for absence, _name in rows:
        if absence.user_id == agent.id:
            return {"debut": f"Une absence de {agent.name} est déjà déclarée {_period(absence)}."}
    for absence, _name in rows:
        if absence.user_id == suppleant.id:
            return {
                "suppleant": (
                    f"{suppleant.name} est lui-même absent {_period(absence)}\u00a0: "
                    "choisissez un autre suppléant."
                )
            }
    for absence, name in rows:
        if absence.suppleant_id == agent.id:
            return {
                "debut": (
                    f"{agent.name} supplée {name} {_period(absence)}\u00a0: ses tâches "
                    "iraient à un absent. Changez d'abord ce suppléant."
                )
            }
    return {}


def _details(absence: Absence) -> dict[str, object]:
    return {
        "absence_id": absence.id,
        "agent_id": absence.user_id,
        "suppleant_id": absence.suppleant_id,
        "debut": absence.debut.isoformat(),
        "fin": absence.fin.isoformat(),
    }


def _managed(session: Session, actor: Actor, absence_id: int) -> tuple[Absence, User]:
    absence = session.get(Absence, absence_id)
    agent = session.get(User, absence.user_id) if absence is not None else None
    if absence is None or agent is None:
        raise NotFound("Absence introuvable.")
    if actor.id != agent.id and not actor.has(RoleName.ADMIN):
        raise NotFound("Absence introuvable.")
    enforce(session, refusal_to_manage_absence(actor, agent))
    return absence, agent


def end_early(session: Session, actor: Actor, absence_id: int) -> Absence:
    """*Terminer aujourd'hui*: an absence in force ends today (the agent is back tomorrow)."""
    absence, agent = _managed(session, actor, absence_id)
    today = paris_today()
    if absence.cancelled_at is not None or not absence.debut <= today < absence.fin:
        raise Conflict(
            "Seule une absence en cours, qui finit après aujourd'hui, peut être écourtée."
        )
    absence.fin = today
    audit.record(
        session,
        None,
        actor,
        AUDIT_KIND,
        f"Absence de {agent.name} écourtée\u00a0: elle se termine le {date_filter(today)}.",
        details=_details(absence),
    )
    session.flush()
    return absence


def cancel(session: Session, actor: Actor, absence_id: int) -> Absence:
    """*Annuler*: an absence not yet begun never happens."""
    absence, agent = _managed(session, actor, absence_id)
    if absence.cancelled_at is not None or absence.debut <= paris_today():
        raise Conflict(
            "Seule une absence à venir peut être annulée\u202f; une absence en cours se termine "
            "(«\u00a0Terminer aujourd'hui\u00a0»)."
        )
    absence.cancelled_at = utcnow()
    audit.record(
        session,
        None,
        actor,
        AUDIT_KIND,
        f"Absence de {agent.name} {_period(absence)} annulée.",
        details=_details(absence),
    )
    session.flush()
    return absence


def listing(session: Session, actor: Actor) -> list[AbsenceRow]:
    """The absences the actor sees: their own and those they stand in for; an administrator's,
    everyone's. Most recent first; finished ones of more than a year ago are left out."""
    Agent = aliased(User)
    Suppleant = aliased(User)
    today = paris_today()
    query = (
        select(Absence, Agent.name, Suppleant.name)
        .join(Agent, Agent.id == Absence.user_id)
        .join(Suppleant, Suppleant.id == Absence.suppleant_id)
        .where(Absence.fin >= date(today.year - 1, today.month, 1))
        .order_by(Absence.debut.desc(), Absence.id.desc())
        .limit(200)
    )
    if not actor.has(RoleName.ADMIN):
        query = query.where(or_(Absence.user_id == actor.id, Absence.suppleant_id == actor.id))
    rows = []
    for absence, agent_name, suppleant_name in session.execute(query):
        manages = actor.id == absence.user_id or actor.has(RoleName.ADMIN)
        if absence.cancelled_at is not None:
            etat = "Annulée"
        elif absence.fin < today:
            etat = "Terminée"
        elif absence.debut > today:
            etat = "À venir"
        else:
            etat = "En cours"
        rows.append(
            AbsenceRow(
                id=absence.id,
                agent=agent_name,
                agent_id=absence.user_id,
                suppleant=suppleant_name,
                suppleant_id=absence.suppleant_id,
                debut=absence.debut,
                fin=absence.fin,
                etat=etat,
                may_end=manages and etat == "En cours" and absence.fin > today,
                may_cancel=manages and etat == "À venir",
            )
        )
    return rows
