"""The secretariat's calendar of séances: create, edit (place, link, and moving the date), mark
as tenue, cancel. Each change is one transaction with its audit trail (the caller commits);
moving a séance moves the waits of its dossiers in the same transaction (`moving`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import PARIS, utcnow
from engine.core.errors import Conflict, FormInvalid
from engine.core.models import Seance, SeanceStatus
from engine.workflow.seances.common import get_seance, seance_name
from engine.workflow.seances.moving import move_waits, waiting_dossiers

FIELDS = ("date", "heure", "lieu", "lien_visio", "tenue", "commission")
_HOUR = re.compile(r"(\d{1,2})\s*[:hH]\s*(\d{2})?")
PAST = (
    "Cette date et cette heure sont passées\u00a0: une séance se prévoit à venir. Pour "
    "enregistrer une séance qui s'est déjà tenue, cochez « La séance s'est déjà tenue »."
)
MOVED_TO_PAST = (
    "Une séance ne peut pas être déplacée dans le passé\u00a0: choisissez une date et une heure "
    "à venir (les dossiers inscrits attendent la séance pour être délibérés)."
)


@dataclass(frozen=True)
class SeanceForm:
    debut: datetime
    lieu: str
    lien_visio: str
    tenue: bool
    commission: str


def read_form(form: Mapping[str, str], commissions: Mapping[str, str]) -> SeanceForm:
    """The séance a form describes; FormInvalid (French, the typed values kept) otherwise."""
    data = {name: str(form.get(name, "")).strip() for name in FIELDS}
    errors: dict[str, str] = {}
    day = _day(data["date"])
    if day is None:
        errors["date"] = "Indiquez la date de la séance (par exemple 12/03/2027)."
    hour = _hour(data["heure"])
    if hour is None:
        errors["heure"] = "Indiquez l'heure de la séance (par exemple 14:00)."
    if len(data["lieu"]) > 300:
        errors["lieu"] = "Le lieu tient en 300 caractères au plus."
    link = data["lien_visio"]
    if link and (not link.startswith("https://") or len(link) > 500 or " " in link):
        errors["lien_visio"] = (
            "Le lien de visioconférence est une adresse qui commence par https:// "
            "(500 caractères au plus)."
        )
    if not data["lieu"] and not link:
        errors["lieu"] = "Indiquez le lieu de la séance ou son lien de visioconférence."
    commission = data["commission"] or (next(iter(commissions)) if len(commissions) == 1 else "")
    if commission not in commissions:
        errors["commission"] = "Choisissez la commission qui siège."
    if errors or day is None or hour is None:
        raise FormInvalid(errors, dict(data))
    debut = datetime.combine(day, hour, tzinfo=PARIS)
    return SeanceForm(debut, data["lieu"], link, data["tenue"] == "true", commission)


def _day(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _hour(text: str) -> time | None:
    match = _HOUR.fullmatch(text)
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def create_seance(session: Session, actor: Actor, entered: SeanceForm) -> Seance:
    if entered.debut <= utcnow() and not entered.tenue:
        raise FormInvalid({"date": PAST}, _typed(entered))
    if entered.tenue and entered.debut > utcnow():
        raise FormInvalid(
            {"tenue": "Une séance à venir ne peut pas être déjà tenue\u00a0: décochez la case."},
            _typed(entered),
        )
    seance = Seance(
        commission=entered.commission,
        debut=entered.debut,
        lieu=entered.lieu,
        lien_visio=entered.lien_visio,
        statut=SeanceStatus.TENUE if entered.tenue else SeanceStatus.PREVUE,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(seance)
    session.flush()
    _audit(session, actor, seance, "seance_creee", f"Séance créée\u00a0: {seance_name(seance)}.")
    return seance


def update_seance(session: Session, actor: Actor, seance_id: int, entered: SeanceForm) -> int:
    """Place, link and date of a séance prévue; a new date moves its dossiers' waits. Returns
    how many dossiers' waits moved."""
    seance = get_seance(session, seance_id)
    if seance.statut != SeanceStatus.PREVUE:
        raise Conflict(
            f"Cette séance est {seance.statut_label.lower()}\u00a0: elle ne change plus."
        )
    moved = 0
    if entered.debut != seance.debut:
        if entered.debut <= utcnow():
            raise FormInvalid({"date": MOVED_TO_PAST}, _typed(entered))
        before = seance_name(seance)
        seance.debut = entered.debut
        moved = move_waits(session, actor, seance, waiting_dossiers(session, seance))
        _audit(
            session,
            actor,
            seance,
            "seance_deplacee",
            f"Séance déplacée\u00a0: {before} → {seance_name(seance)}\u202f; attente de "
            f"{moved} dossier(s) déplacée.",
        )
    seance.lieu, seance.lien_visio = entered.lieu, entered.lien_visio
    seance.updated_at = utcnow()
    _audit(
        session, actor, seance, "seance_modifiee", f"Séance modifiée\u00a0: {seance_name(seance)}."
    )
    return moved


def mark_held(session: Session, actor: Actor, seance_id: int) -> Seance:
    seance = get_seance(session, seance_id)
    if seance.statut != SeanceStatus.PREVUE:
        raise Conflict(f"Cette séance est déjà {seance.statut_label.lower()}.")
    if seance.debut > utcnow():
        raise Conflict("Cette séance n'a pas encore commencé\u00a0: elle ne peut pas être tenue.")
    seance.statut = SeanceStatus.TENUE
    seance.updated_at = utcnow()
    _audit(session, actor, seance, "seance_tenue", f"Séance tenue\u00a0: {seance_name(seance)}.")
    return seance


def cancel_seance(session: Session, actor: Actor, seance_id: int) -> Seance:
    """A séance prévue without dossiers waiting on it; its dossiers go to another séance first
    (`transfer_agenda`)."""
    seance = get_seance(session, seance_id)
    if seance.statut != SeanceStatus.PREVUE:
        raise Conflict(
            f"Cette séance est {seance.statut_label.lower()}\u00a0: elle ne s'annule plus."
        )
    waiting = waiting_dossiers(session, seance)
    if waiting:
        raise Conflict(
            f"Cette séance a encore {len(waiting)} dossier(s) à son ordre du jour\u00a0: "
            "reportez-les d'abord vers une autre séance, puis annulez-la."
        )
    seance.statut = SeanceStatus.ANNULEE
    seance.updated_at = utcnow()
    _audit(
        session, actor, seance, "seance_annulee", f"Séance annulée\u00a0: {seance_name(seance)}."
    )
    return seance


def transfer_agenda(session: Session, actor: Actor, seance_id: int, target_id: int) -> int:
    """The dossiers waiting on one séance go to another séance prévue to come (its date drives
    their waits); returns how many."""
    seance = get_seance(session, seance_id)
    target = get_seance(session, target_id) if target_id else None
    if (
        target is None
        or target.id == seance.id
        or target.commission != seance.commission
        or target.statut != SeanceStatus.PREVUE
        or target.debut <= utcnow()
    ):
        raise FormInvalid(
            {"cible": "Choisissez une autre séance prévue à venir de la même commission."}, {}
        )
    waiting = waiting_dossiers(session, seance)
    moved = move_waits(session, actor, target, waiting, from_seance=seance)
    _audit(
        session,
        actor,
        seance,
        "seance_reportee",
        f"Ordre du jour reporté\u00a0: {moved} dossier(s) de la {seance_name(seance)} vers la "
        f"{seance_name(target)}.",
    )
    return moved


def coming_seances(
    session: Session, commission: str, *, besides: int | None = None
) -> list[Seance]:
    return list(
        session.scalars(
            select(Seance)
            .where(
                Seance.commission == commission,
                Seance.statut == SeanceStatus.PREVUE,
                Seance.debut > utcnow(),
                Seance.id != (besides or 0),
            )
            .order_by(Seance.debut, Seance.id)
        )
    )


def _typed(entered: SeanceForm) -> dict[str, str]:
    local = entered.debut.astimezone(PARIS)
    return {
        "date": local.date().isoformat(),
        "heure": local.strftime("%H:%M"),
        "lieu": entered.lieu,
        "lien_visio": entered.lien_visio,
        "tenue": "true" if entered.tenue else "",
        "commission": entered.commission,
    }


def _audit(session: Session, actor: Actor, seance: Seance, kind: str, summary: str) -> None:
    audit.record(session, None, actor, kind, summary, details={"seance_id": seance.id})


def seance_on(session: Session, commission: str, day: date) -> Seance:
    """The commission's séance of that day (a scenario names its séance by its date): the one
    there is, else one created at 9 h (tenue when the day is past), as the secretariat would."""
    start = datetime.combine(day, time(0, 0), tzinfo=PARIS)
    end = datetime.combine(day, time(23, 59), tzinfo=PARIS)
    found = session.scalar(
        select(Seance)
        .where(
            Seance.commission == commission,
            Seance.debut >= start,
            Seance.debut <= end,
            Seance.statut != SeanceStatus.ANNULEE,
        )
        .order_by(Seance.id)
        .limit(1)
    )
    if found is not None:
        return found
    debut = datetime.combine(day, time(9, 0), tzinfo=PARIS)
    seance = Seance(
        commission=commission,
        debut=debut,
        lieu="Salle de la commission",
        lien_visio="",
        statut=SeanceStatus.TENUE if debut <= utcnow() else SeanceStatus.PREVUE,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(seance)
    session.flush()
    return seance
