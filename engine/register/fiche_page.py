"""What the public register shows of one entry (its fiche): plain dataclasses for the pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.core.models import REGISTER_STATUS_LABELS, RegisterEntry, RegisterStatus
from engine.register.publication import CATEGORY_LABELS

# Register numbers: INV00042 (ours), RS6232 (France compétences'); anything else is no entry.
NUMERO = re.compile(r"[A-Za-z0-9]{1,20}")
# The descriptive fields in reading order: ours (engine/publication.py) and the imported
# fiches' (engine/opendata/fiche.py: France compétences' elements in lower case).
FIELD_LABELS = {
    "objectifs_contexte": "Objectifs et contexte de la certification",
    "activites_visees": "Activités visées",
    "competences_attestees": "Compétences attestées",
    "modalites_evaluation": "Modalités d'évaluation",
    "niveau_maitrise_competences": "Niveau de maîtrise des compétences",
    "validation_partielle": "Validation partielle",
    "public_vise": "Public visé",
    "prerequis_entree_formation": "Prérequis à l'entrée en formation",
    "prerequis": "Prérequis à la validation de la certification",
    "voies_acces": "Voies d'accès à la certification",
    "secteurs_activite": "Secteurs d'activité",
    "type_emploi_accessibles": "Types d'emplois accessibles",
    "reglementations_activites": "Réglementation d'activités",
    "existence_partenaires": "Partenaires",
    "partenaires": "Organismes partenaires",
    "abrege": "Abrégé",
    "nomenclature_europe": "Niveau dans la nomenclature européenne",
    "type_enregistrement": "Type d'enregistrement",
    "duree_enregistrement": "Durée d'enregistrement (années)",
    "date_de_publication": "Date de publication",
    "date_limite_delivrance": "Date limite de délivrance",
    "date_dernier_jo": "Date du dernier Journal officiel",
    "statistiques_promotions": "Statistiques des promotions",
    "lien_url_description": "Pour en savoir plus",
}
# The ways to the certification: the procedure's form (voies_acces) and the fiche's juries.
WAY_LABELS = {
    "formation_initiale": "Formation initiale (élève ou étudiant)",
    "apprentissage": "Contrat d'apprentissage",
    "formation_continue": "Formation continue",
    "contrat_professionnalisation": "Contrat de professionnalisation",
    "candidature_individuelle": "Candidature individuelle",
    "vae": "Validation des acquis de l'expérience",
}
JURY_WAYS = {
    "si_jury_fi": "formation_initiale",
    "si_jury_fc": "formation_continue",
    "si_jury_cq": "contrat_professionnalisation",
    "si_jury_cl": "candidature_individuelle",
    "si_jury_vae": "vae",
}
CODE_LABELS = {"codes_rome": "Codes ROME", "formacodes": "Formacodes", "codes_nsf": "Codes NSF"}
# Shown elsewhere on the page (mandate, renewal chain), or the import's bookkeeping.
NOT_FIELDS = {
    "mandat",
    "nouvelles_certifications",
    "anciennes_certifications",
    "id_fiche",
    "etat_fiche",
    "status",
}
# Labels of the keys inside grouped values (a jury, a partner, a promotion's figures).
PART_LABELS = {
    "date_derniere_modification": "Dernière modification",
    "actif": "Active",
    "composition": "Composition du jury",
    "nom": "Nom",
    "siret": "SIRET",
    "habilitation": "Habilitation",
    "etat_habilitation": "État de l'habilitation",
    "date_actif": "Active depuis le",
    "date_modification_etat": "État modifié le",
    "niveau": "Niveau",
    "titre": "Titre",
    "date_publication_jo": "Publié au Journal officiel le",
    "annee": "Année",
    "nombre_certifies": "Nombre de certifiés",
}
# Groups read as "code – libellé" (FORMACODE, ROME, NSF, ABREGE…).
CODE_PARTS = {"code", "libelle", "intitule", "numero"}
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
CODE_SEPARATORS = re.compile(r"[,;\n]+")


@dataclass(frozen=True)
class Certifier:
    nom: str
    siret: str | None


@dataclass(frozen=True)
class FicheField:
    """A labelled value: one text (kept with its line breaks) or a list of items."""

    key: str
    label: str
    text: str | None = None
    items: tuple[str, ...] = ()


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
        imported=entry.source == "import",
        fields=_fields(entry.content),
        codes=_codes(entry.content),
        previous=previous,
        next=following,
        history=_history(entry, previous, following),
    )


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
    decision = "Décision d'enregistrement" if entry.source == "import" else "Recensement prononcé"
    renews = f"Renouvellement de la certification {previous.numero}" if previous else None
    events.append(HistoryEvent(entry.date_decision, decision, renews))
    if entry.debut_validite is not None:
        events.append(HistoryEvent(entry.debut_validite, "Début de validité"))
    if entry.statut == RegisterStatus.ECHUE:
        at = entry.statut_change_le or entry.fin_validite
        events.append(HistoryEvent(at, "Fin de validité : certification échue"))
    if entry.statut == RegisterStatus.RETIREE:
        reason = f"Motif : {entry.motif_retrait}" if entry.motif_retrait else None
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


def _fields(content: Any) -> tuple[FicheField, ...]:
    if not isinstance(content, dict):
        return ()
    # The juries of an imported fiche stand where the form's ways would.
    known = [
        key
        for key in FIELD_LABELS
        if key in content or (key == "voies_acces" and not JURY_WAYS.keys().isdisjoint(content))
    ]
    others = sorted(
        key
        for key in content
        if key not in FIELD_LABELS
        and key not in CODE_LABELS
        and key not in NOT_FIELDS
        and key not in JURY_WAYS
    )
    fields = []
    for key in known + others:
        label = FIELD_LABELS.get(key) or key.replace("_", " ").capitalize()
        field = _ways(content) if key == "voies_acces" else _field(key, label, content[key])
        if field is not None:
            fields.append(field)
    return tuple(fields)


def _ways(content: dict[str, Any]) -> FicheField | None:
    """The ways to the certification: as the form named them, else the fiche's open juries
    (SI_JURY_*: {"actif", "composition"}), with their composition when given."""
    label = FIELD_LABELS["voies_acces"]
    ways = content.get("voies_acces")
    if isinstance(ways, list):
        named = tuple(WAY_LABELS.get(str(way), str(way)) for way in ways if way)
        return FicheField("voies_acces", label, items=named) if named else None
    if isinstance(ways, str):
        return _field("voies_acces", label, ways)
    items: list[str] = []
    for key, way in JURY_WAYS.items():
        jury = content.get(key)
        if isinstance(jury, dict) and jury.get("actif") is True:
            composition = _scalar(jury.get("composition"))
            items.append(WAY_LABELS[way] + (f" – jury : {composition}" if composition else ""))
    return FicheField("voies_acces", label, items=tuple(items)) if items else None


def _codes(content: Any) -> tuple[FicheField, ...]:
    if not isinstance(content, dict):
        return ()
    codes = []
    for key, label in CODE_LABELS.items():
        value = content.get(key)
        items = (
            tuple(code.strip() for code in CODE_SEPARATORS.split(value) if code.strip())
            if isinstance(value, str)
            else _items(value)
        )
        if items:
            codes.append(FicheField(key, label, items=items))
    return tuple(codes)


def _field(key: str, label: str, value: Any) -> FicheField | None:
    if isinstance(value, bool | str | int | float):
        text = _scalar(value)
        return FicheField(key, label, text=text) if text else None
    items = _items(value)
    return FicheField(key, label, items=items) if items else None


def _items(value: Any) -> tuple[str, ...]:
    """A list or a mapping as lines of text."""
    if isinstance(value, dict):
        return tuple(
            f"{_part_label(key)} : {_scalar(item)}" for key, item in value.items() if _scalar(item)
        )
    if not isinstance(value, list):
        return ()
    lines = []
    for item in value:
        line = _group(item) if isinstance(item, dict) else _scalar(item)
        if line:
            lines.append(line)
    return tuple(lines)


def _group(item: dict[str, Any]) -> str:
    if set(item) <= CODE_PARTS:
        return " – ".join(text for text in map(_scalar, item.values()) if text)
    return " ; ".join(
        f"{_part_label(key)} : {_scalar(value)}" for key, value in item.items() if _scalar(value)
    )


def _part_label(key: str) -> str:
    return PART_LABELS.get(key) or key.replace("_", " ").capitalize()


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, str) and (date := ISO_DATE.fullmatch(value.strip())):
        return f"{date[3]}/{date[2]}/{date[1]}"  # imported dates are kept as AAAA-MM-JJ
    if isinstance(value, str | int | float):
        return str(value).strip()
    return ""
