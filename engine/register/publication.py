"""Publication of a recensed certification in the register (idempotent)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import utcnow
from engine.core.counter import next_value
from engine.core.errors import ExecutionError
from engine.core.models import (
    Instance,
    Organisation,
    OrganisationKind,
    RegisterEntry,
    Registre,
    Submission,
)
from engine.definitions.definition import definition_for
from engine.definitions.rules import process_rules
from engine.register.filing import (
    certifiers_of,
    juries_of,
    mandating_authority,
    partners_of,
    promotions_of,
    validity_of,
)

CATEGORY_LABELS = {
    "A": "A – obligation réglementaire",
    "B": "B – norme de marché",
    "C": "C – utilité économique ou sociale",
}
# Our RS numbers start past France compétences' own (RS1… to about RS7000 in 2026), so that an
# import of their fiches never meets one of ours; a number already taken is skipped.
RS_NUMBERS_FROM = 90000
_CODES = re.compile(r"[,;\s]+")
TYPE_ENREGISTREMENT = "Enregistrement sur demande"  # every recensement answers a demande
PUBLIC_FIELDS = (
    "objectifs_contexte",
    "competences_attestees",
    "niveau_maitrise_competences",
    "modalites_evaluation",
    "prerequis",
    "voies_acces",
    "codes_rome",
    "formacodes",
    "codes_nsf",
    "public_vise",
)


def publish(session: Session, instance: Instance, data: dict[str, Any]) -> RegisterEntry:
    """Create the register entry of a recensed dossier; a second call returns the same entry."""
    existing = session.scalar(select(RegisterEntry).where(RegisterEntry.instance_id == instance.id))
    if existing is not None:
        return existing
    filed = dossier_values(session, instance.id)
    now = utcnow()
    rs = data.get("registre") == Registre.RS
    years = recensement_years(data.get("duree_annees"), _max_years(session, instance), rs=rs)
    organisation = (
        session.get(Organisation, instance.organisation_id) if instance.organisation_id else None
    )
    categorie = (
        "" if rs else str(data.get("categorie_retenue") or filed.get("categorie") or "C")[:1]
    )
    content = public_content(filed, years, now, categorie=categorie)
    if rs:  # the certifier files itself: no autorité légitime, no mandate
        content["type_enregistrement"] = "Enregistrement sur demande"
        content.pop("mandat", None)
    entry = RegisterEntry(
        numero=_rs_numero(session) if rs else f"INV{next_value(session, 'register'):05d}",
        registre=Registre.RS if rs else Registre.INVENTAIRE,
        intitule=str(filed.get("intitule") or instance.title)[:500],
        # The Répertoire spécifique has no category.
        categorie=categorie,
        certificateurs={"certificateurs": _certifiers(filed, organisation)},
        autorite_legitime=None
        if rs
        else _legitimate_authority(organisation, mandating_authority(filed)),
        content=content,
        date_decision=now,
        debut_validite=now,
        fin_validite=_add_years(now, years),
        statut_change_le=now,
        instance_id=instance.id,
        source="inventaire",
    )
    _chain_renewal(session, entry, data.get("renouvellement_de"))
    session.add(entry)
    session.flush()
    return entry


def _rs_numero(session: Session) -> str:
    """The next free RS number of ours (RS90001…)."""
    while True:
        numero = f"RS{RS_NUMBERS_FROM + next_value(session, 'register-rs')}"
        if session.scalar(select(RegisterEntry.id).where(RegisterEntry.numero == numero)) is None:
            return numero


def _chain_renewal(session: Session, entry: RegisterEntry, renewed: object) -> None:
    """A recensed renewal follows the entry it renews (previous / next in the chain)."""
    if not isinstance(renewed, str) or not renewed:
        return
    previous = session.scalar(select(RegisterEntry).where(RegisterEntry.numero == renewed[:20]))
    entry.numero_precedent = renewed[:20]
    entry.precedente_id = previous.id if previous is not None else None


def public_content(
    filed: dict[str, Any], years: int, now: datetime, *, categorie: str | None = None
) -> dict[str, Any]:
    """What the register shows of a dossier, under the keys of an open-data fiche
    (register/opendata/fiche.py), so that an entry exports as a complete FICHE. A question the
    form never asked (partial validation…) gets no value: the fiche then has no element for it.
    The dates follow the type: an *enregistrement sur demande* has a DATE_DECISION, no
    DATE_EFFET nor DATE_DE_PUBLICATION (as France compétences' fiches of that type)."""
    content: dict[str, Any] = {key: filed[key] for key in PUBLIC_FIELDS if filed.get(key)}
    for key in ("codes_rome", "formacodes", "codes_nsf"):
        if key in content:
            content[key] = [{"code": code} for code in _CODES.split(str(content[key])) if code]
    regulation = filed.get("texte_reglementaire")
    if (categorie or filed.get("categorie")) == "A" and isinstance(regulation, str):
        content["reglementations_activites"] = regulation.strip()
    if isinstance(filed.get("existence_partenaires"), bool):
        content["existence_partenaires"] = filed["existence_partenaires"]
    partners, promotions = partners_of(filed), promotions_of(filed)
    if partners:
        content["partenaires"] = partners
    if promotions:
        content["statistiques_promotions"] = promotions
    return (
        content
        | validity_of(filed)
        | {
            "mandat": bool(filed.get("depot_par_mandataire")),
            "type_enregistrement": TYPE_ENREGISTREMENT,
            "duree_enregistrement": years,
            # Apprenticeship has no SI_JURY_* element in the fiche: the form does not offer it.
            **juries_of(filed),
        }
    )


def _certifiers(filed: dict[str, Any], organisation: Organisation | None) -> list[dict[str, Any]]:
    """Every certifier named on the form with its own SIRET; none named: the mandated
    certifier that filed, with its SIRET."""
    items = certifiers_of(filed)
    if items or organisation is None or organisation.kind != OrganisationKind.CERTIFICATEUR:
        return items
    siret = {"siret": organisation.siret} if organisation.siret else {}
    return [siret | {"nom": organisation.name, "etat": "Actif"}]


def dossier_values(session: Session, instance_id: int) -> dict[str, Any]:
    """Every value filed on the dossier, the latest submission of each form winning."""
    values: dict[str, Any] = {}
    rows = session.scalars(
        select(Submission).where(Submission.instance_id == instance_id).order_by(Submission.id)
    )
    for row in rows:
        values.update(row.data)
    return values


def _legitimate_authority(organisation: Organisation | None, mandant: str | None) -> str | None:
    """Who asked: the authority a mandated certifier named for this request (else, for a
    dossier filed before the form asked, the one its organisation records), or the filer."""
    if organisation is None:
        return mandant
    if organisation.kind == OrganisationKind.CERTIFICATEUR:
        mandant = mandant or (organisation.mandant.name if organisation.mandant else None)
        if mandant:
            return f"{mandant} (mandat donné à {organisation.name})"
    return organisation.name


def _max_years(session: Session, instance: Instance) -> int:
    definition = definition_for(session, instance.process_version_id)
    return process_rules(definition).duree_max_annees


def recensement_years(value: Any, max_years: int, *, rs: bool = False) -> int:
    """The duration the deliberation (the director general's decision, for the RS) set; none or
    one beyond the process's maximum is an error (the publication stops as an incident), never
    a duration chosen here."""
    what, by = (
        ("de l'enregistrement", "la décision") if rs else ("du recensement", "la délibération")
    )
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExecutionError(
            f"Durée {what} absente ou invalide\u00a0: {by} doit fixer une durée "
            f"en années (de 1 à {max_years}). Rien n'est publié."
        )
    if not 1 <= value <= max_years:
        raise ExecutionError(
            f"Durée {what} de {value} ans hors des limites du processus (de 1 à "
            f"{max_years} ans)\u00a0: rien n'est publié."
        )
    return value


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)
