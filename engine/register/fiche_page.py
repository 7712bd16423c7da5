"""What the public register shows of one entry (its fiche): plain dataclasses for the pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.core.models import (
    REGISTER_STATUS_LABELS,
    REGISTRE_LABELS,
    RegisterEntry,
    RegisterStatus,
    Registre,
)
from engine.register.fiche_fields import FicheField, code_fields, descriptive_fields
from engine.register.life import LIMITE_DELIVRANCE, echeance
from engine.register.opendata.fiche import date_to_moment
from engine.register.publication import CATEGORY_LABELS

# Register numbers: INV00042 (ours), RS6232 (France compétences'); anything else is no entry.
NUMERO = re.compile(r"[A-Za-z0-9]{1,20}")


@dataclass(frozen=True)
class Certifier:
    nom: str
    siret: str | None


@dataclass(frozen=True)
class ChainLink:
    """A neighbour in the renewal chain; `in_register` False when only its number is known."""

    numero: str
    intitule: str | None
    date_decision: datetime | None
    in_register: bool


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime | None
    label: str
    detail: str | None = None


@dataclass(frozen=True)
class Fiche:
    numero: str
    intitule: str
    registre: str
    registre_label: str
    # "" for a Répertoire spécifique entry: it has none (its TYPE_ENREGISTREMENT is a field).
    categorie: str
    categorie_label: str
    statut: str
    statut_label: str
    certificateurs: tuple[Certifier, ...]
    autorite_legitime: str | None
    mandat: bool | None
    date_decision: datetime | None
    debut_validite: datetime | None
    fin_validite: datetime | None
    statut_change_le: datetime | None
    motif_retrait: str | None
    # The first day the entry is no longer valid (the day after its end date).
    echue_le: datetime | None
    # Until when attestations may still be delivered (DATE_LIMITE_DELIVRANCE).
    date_limite_delivrance: datetime | None
    imported: bool
    fields: tuple[FicheField, ...]
    codes: tuple[FicheField, ...]
    previous: ChainLink | None
    next: tuple[ChainLink, ...]
    history: tuple[HistoryEvent, ...]


def find_fiche(session: Session, numero: str) -> Fiche | None:
    """The fiche of the entry numbered `numero` (exactly, else in upper case), or None."""
    if not NUMERO.fullmatch(numero):
        return None
    entry = session.scalar(sa.select(RegisterEntry).where(RegisterEntry.numero == numero))
    if entry is None and numero != numero.upper():
        entry = session.scalar(
            sa.select(RegisterEntry).where(RegisterEntry.numero == numero.upper())
        )
    if entry is None:
        return None
    previous = _previous(session, entry)
    following = _following(session, entry)
    mandat = entry.content.get("mandat") if isinstance(entry.content, dict) else None
    return Fiche(
        numero=entry.numero,
        intitule=entry.intitule,
        registre=entry.registre,
        registre_label=registre_label(entry.registre),
        categorie=entry.categorie,
        categorie_label=CATEGORY_LABELS.get(entry.categorie, entry.categorie),
        statut=entry.statut,
        statut_label=statut_label(entry.statut),
        certificateurs=certifiers(entry.certificateurs),
        autorite_legitime=entry.autorite_legitime,
        mandat=mandat if isinstance(mandat, bool) else None,
        date_decision=entry.date_decision,
        debut_validite=entry.debut_validite,
        fin_validite=entry.fin_validite,
        statut_change_le=entry.statut_change_le,
        motif_retrait=entry.motif_retrait,
        echue_le=echeance(entry.fin_validite) if entry.fin_validite else None,
        date_limite_delivrance=_limite_delivrance(entry.content),
        imported=entry.source == "import",
        fields=descriptive_fields(entry.content),
        codes=code_fields(entry.content),
        previous=previous,
        next=following,
        history=_history(entry, previous, following),
    )


def registre_label(registre: str) -> str:
    """*Inventaire* or *Répertoire spécifique*."""
    known = {member.value for member in Registre}
    return REGISTRE_LABELS[Registre(registre)] if registre in known else registre


def _limite_delivrance(content: Any) -> datetime | None:
    value = content.get(LIMITE_DELIVRANCE) if isinstance(content, dict) else None
    try:
        return date_to_moment(date.fromisoformat(str(value)[:10])) if value else None
    except ValueError:
        return None


def statut_label(statut: str) -> str:
    return REGISTER_STATUS_LABELS.get(RegisterStatus(statut), statut) if _known(statut) else statut


def _known(statut: str) -> bool:
    return statut in {member.value for member in RegisterStatus}


def certifiers(value: Any) -> tuple[Certifier, ...]:
    """The certifiers of `{"certificateurs": [{"nom", "siret"}…]}`, tolerating plain names."""
    items = value.get("certificateurs") if isinstance(value, dict) else value
    found: list[Certifier] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            nom = str(item.get("nom") or "").strip()
            siret = str(item.get("siret") or "").strip() or None
            if nom or siret:
                found.append(Certifier(nom or "—", siret))
        elif isinstance(item, str) and item.strip():
            found.append(Certifier(item.strip(), None))
    return tuple(found)


def certifier_names(value: Any) -> tuple[str, ...]:
    return tuple(certifier.nom for certifier in certifiers(value))


def _previous(session: Session, entry: RegisterEntry) -> ChainLink | None:
    if entry.precedente_id is not None:
        previous = session.get(RegisterEntry, entry.precedente_id)
    elif entry.numero_precedent:
        previous = session.scalar(
            sa.select(RegisterEntry).where(RegisterEntry.numero == entry.numero_precedent)
        )
        if previous is None:
            return ChainLink(entry.numero_precedent, None, None, in_register=False)
    else:
        return None
    if previous is None:
        return None
    return ChainLink(previous.numero, previous.intitule, previous.date_decision, True)


def _following(session: Session, entry: RegisterEntry) -> tuple[ChainLink, ...]:
    """The entries renewing this one: linked by id (ours) or by number (imported fiches), and
    the numbers an imported fiche names as its new certifications."""
    rows = session.execute(
        sa.select(RegisterEntry.numero, RegisterEntry.intitule, RegisterEntry.date_decision)
        .where(
            sa.or_(
                RegisterEntry.precedente_id == entry.id,
                RegisterEntry.numero_precedent == entry.numero,
            ),
            RegisterEntry.id != entry.id,
        )
        .order_by(RegisterEntry.date_decision, RegisterEntry.id)
    )
    links = [ChainLink(row.numero, row.intitule, row.date_decision, True) for row in rows]
    named = [
        numero
        for numero in _numeros(entry.content, "nouvelles_certifications")
        if numero not in {link.numero for link in links} and numero != entry.numero
    ]
    if named:
        found = {
            row.numero: row
            for row in session.execute(
                sa.select(
                    RegisterEntry.numero, RegisterEntry.intitule, RegisterEntry.date_decision
                ).where(RegisterEntry.numero.in_(named))
            )
        }
        for numero in named:
            row = found.get(numero)
            links.append(
                ChainLink(numero, row.intitule, row.date_decision, True)
                if row is not None
                else ChainLink(numero, None, None, in_register=False)
            )
    return tuple(links)


def _numeros(content: Any, key: str) -> list[str]:
    """Register numbers listed under `key` (texts or {"numero": …}), well-formed ones only."""
    values = content.get(key) if isinstance(content, dict) else None
    numeros: list[str] = []
    for value in values if isinstance(values, list) else []:
        numero = value.get("numero") if isinstance(value, dict) else value
        if isinstance(numero, str) and NUMERO.fullmatch(numero) and numero not in numeros:
            numeros.append(numero)
    return numeros[:20]


def _history(
    entry: RegisterEntry, previous: ChainLink | None, following: tuple[ChainLink, ...]
) -> tuple[HistoryEvent, ...]:
    events: list[HistoryEvent] = []
    # An RS entry is *enregistrée* (by France compétences), an Inventaire entry *recensée*.
    decision = (
        "Décision d'enregistrement au Répertoire spécifique"
        if entry.registre == Registre.RS
        else "Recensement prononcé"
    )
    renews = f"Renouvellement de la certification {previous.numero}" if previous else None
    events.append(HistoryEvent(entry.date_decision, decision, renews))
    if entry.debut_validite is not None:
        events.append(HistoryEvent(entry.debut_validite, "Début de validité"))
    if entry.statut == RegisterStatus.ECHUE:
        ended = echeance(entry.fin_validite) if entry.fin_validite else None
        at = entry.statut_change_le or ended
        events.append(HistoryEvent(at, "Fin de validité\u00a0: certification échue"))
    if entry.statut == RegisterStatus.RETIREE:
        reason = f"Motif\u00a0: {entry.motif_retrait}" if entry.motif_retrait else None
        events.append(HistoryEvent(entry.statut_change_le, "Retrait du registre", reason))
    for link in following:
        events.append(
            HistoryEvent(link.date_decision, f"Renouvelée par la certification {link.numero}")
        )
    dated = sorted((event for event in events if event.at is not None), key=_when)
    return tuple(dated + [event for event in events if event.at is None])


def _when(event: HistoryEvent) -> datetime:
    assert event.at is not None
    return event.at
