"""The public fields of a register entry as a fiche shows them: labelled texts and lists, read
from its `content` (ours and the imported fiches' keys alike)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# The descriptive fields in reading order: ours (register/publication.py) and the imported
# fiches' (register/opendata/fiche.py: France compétences' elements in lower case).
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
    "duree_validite": "Durée de validité pour le titulaire (années)",
    "modalites_renouvellement": "Modalités de renouvellement pour le titulaire",
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
    "date_limite_delivrance",  # beside the dates of validity
    "nouvelles_certifications",
    "anciennes_certifications",
    "id_fiche",
    "etat_fiche",
    "status",
    "autres_elements",  # elements of an imported fiche kept as they came (XML), not shown
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
# Coded values of the fiche's groups, in words (HABILITATION_PARTENAIRE).
VALUE_LABELS = {
    "HABILITATION_FORMER": "préparer à la certification",
    "HABILITATION_ORGANISER": "organiser l'évaluation",
    "HABILITATION_ORGA_FORM": "préparer à la certification et organiser l'évaluation",
}
# Groups read as "code – libellé" (FORMACODE, ROME, NSF, ABREGE…).
CODE_PARTS = {"code", "libelle", "intitule", "numero"}
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
CODE_SEPARATORS = re.compile(r"[,;\n]+")


@dataclass(frozen=True)
class FicheField:
    """A labelled value: one text (kept with its line breaks) or a list of items."""

    key: str
    label: str
    text: str | None = None
    items: tuple[str, ...] = ()


def descriptive_fields(content: Any) -> tuple[FicheField, ...]:
    """The fiche's descriptive fields, in reading order, then the others by key."""
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
        juries = {way: content.get(key) for key, way in JURY_WAYS.items()}
        named = tuple(
            WAY_LABELS.get(str(way), str(way)) + _jury_text(juries.get(str(way)))
            for way in ways
            if way
        )
        return FicheField("voies_acces", label, items=named) if named else None
    if isinstance(ways, str):
        return _field("voies_acces", label, ways)
    items: list[str] = []
    for key, way in JURY_WAYS.items():
        jury = content.get(key)
        if isinstance(jury, dict) and jury.get("actif") is True:
            items.append(WAY_LABELS[way] + _jury_text(jury))
    return FicheField("voies_acces", label, items=tuple(items)) if items else None


def _jury_text(jury: Any) -> str:
    composition = _scalar(jury.get("composition")) if isinstance(jury, dict) else ""
    return f" – jury\u00a0: {composition}" if composition else ""


def code_fields(content: Any) -> tuple[FicheField, ...]:
    """The codes (ROME, Formacode, NSF), a list each."""
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
            f"{_part_label(key)}\u00a0: {_scalar(item)}"
            for key, item in value.items()
            if _scalar(item)
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
    return "\u202f; ".join(
        f"{_part_label(key)}\u00a0: {_scalar(value)}"
        for key, value in item.items()
        if _scalar(value)
    )


def _part_label(key: str) -> str:
    return PART_LABELS.get(key) or key.replace("_", " ").capitalize()


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, str) and (date := ISO_DATE.fullmatch(value.strip())):
        return f"{date[3]}/{date[2]}/{date[1]}"  # imported dates are kept as AAAA-MM-JJ
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return VALUE_LABELS.get(text, text)
    return ""
