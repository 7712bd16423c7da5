"""What the filing form (`saisir_demande`) gives a fiche: the certifiers, each with its SIRET,
the mandating authority, the partner bodies, the juries of each access route and the promotions'
figures, in the shapes of an open-data fiche (register/opendata/fiche.py)."""

from __future__ import annotations

import re
from typing import Any

from engine.register.opendata.fiche import JURY_OF_WAY

CERTIFIER_SLOTS = 4  # certificateur_1_nom / certificateur_1_siret … certificateur_4_*
ETAT_ACTIF = "Actif"
# What a partner body may do (the form's words) → HABILITATION_PARTENAIRE of the fiche.
HABILITATIONS = {
    "préparer": "HABILITATION_FORMER",
    "évaluer": "HABILITATION_ORGANISER",
    "préparer et évaluer": "HABILITATION_ORGA_FORM",
}
_YEAR_LINE = re.compile(r"^\s*(\d{4})\s*:\s*(\d{1,7})\s*$")
_OLD_NAMES = re.compile(r"[;\n]+")


def certifiers_of(filed: dict[str, Any]) -> list[dict[str, Any]]:
    """The certifiers named on the form, in its order, each with its own SIRET; a dossier filed
    before the form had one slot per certifier gives its names and its one SIRET (the first's)."""
    items: list[dict[str, Any]] = []
    for slot in range(1, CERTIFIER_SLOTS + 1):
        name = _text(filed.get(f"certificateur_{slot}_nom"))
        if name:
            siret = _text(filed.get(f"certificateur_{slot}_siret"))
            items.append(({"siret": siret} if siret else {}) | {"nom": name, "etat": ETAT_ACTIF})
    if items:
        return items
    names = [name.strip() for name in _OLD_NAMES.split(_text(filed.get("certificateurs")))]
    items = [{"nom": name, "etat": ETAT_ACTIF} for name in names if name]
    siret = _text(filed.get("siret_certificateur"))
    if items and siret:
        items[0] = {"siret": siret} | items[0]
    return items


def certifier_fields(certifiers: list[dict[str, Any]]) -> dict[str, str]:
    """The form's certifier fields for a list of certifiers (a renewal's prefill)."""
    fields: dict[str, str] = {}
    named = [item for item in certifiers if isinstance(item, dict) and item.get("nom")]
    for slot, item in enumerate(named[:CERTIFIER_SLOTS], start=1):
        fields[f"certificateur_{slot}_nom"] = str(item["nom"])
        if item.get("siret"):
            fields[f"certificateur_{slot}_siret"] = str(item["siret"])
    return fields


def mandating_authority(filed: dict[str, Any]) -> str | None:
    """The autorité légitime a mandated certifier named for this request, if it did."""
    if not filed.get("depot_par_mandataire"):
        return None
    return _text(filed.get("autorite_mandante")) or None


def partners_of(filed: dict[str, Any]) -> list[dict[str, Any]]:
    """PARTENAIRES from the form's lines « raison sociale ; SIRET ; préparer|évaluer|… »."""
    if filed.get("existence_partenaires") is not True:
        return []
    partners = []
    for line in _text(filed.get("partenaires")).splitlines():
        parts = [part.strip() for part in line.split(";")]
        if len(parts) != 3 or not parts[0]:
            continue  # the form's pattern lets no such line through; older data may
        habilitation = HABILITATIONS.get(parts[2].lower())
        partners.append(
            {"nom": parts[0], "siret": parts[1]}
            | ({"habilitation": habilitation} if habilitation else {})
            | {"etat_habilitation": ETAT_ACTIF}
        )
    return partners


def promotions_of(filed: dict[str, Any]) -> list[dict[str, int]]:
    """STATISTIQUES_PROMOTIONS from the form's lines « AAAA : nombre », by year."""
    figures: dict[int, int] = {}
    for line in _text(filed.get("certifies_par_annee")).splitlines():
        match = _YEAR_LINE.match(line)
        if match:
            figures[int(match[1])] = int(match[2])
    return [{"annee": year, "nombre_certifies": count} for year, count in sorted(figures.items())]


def juries_of(filed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The SI_JURY_* groups: open or not for each route the form asked about, with the jury's
    composition the form gives for an open one."""
    ways = filed.get("voies_acces")
    chosen = set(ways) if isinstance(ways, list) else set()
    juries: dict[str, dict[str, Any]] = {}
    for way, tag in JURY_OF_WAY.items():
        jury: dict[str, Any] = {"actif": way in chosen}
        composition = _text(filed.get(f"jury_{way}"))
        if way in chosen and composition:
            jury["composition"] = composition
        juries[tag.lower()] = jury
    return juries


def validity_of(filed: dict[str, Any]) -> dict[str, Any]:
    """DUREE_VALIDITE and MODALITES_RENOUVELLEMENT, when the certification expires for its
    holders (nothing is said of one that does not)."""
    if filed.get("validite_limitee") is not True:
        return {}
    values: dict[str, Any] = {}
    years = filed.get("duree_validite_annees")
    if isinstance(years, int) and not isinstance(years, bool):
        values["duree_validite"] = str(years)
    renewal = _text(filed.get("modalites_renouvellement"))
    if renewal:
        values["modalites_renouvellement"] = renewal
    return values


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


_WORDS_OF_HABILITATION = {code: word for word, code in HABILITATIONS.items()}
_CODE_KEYS = ("codes_rome", "formacodes", "codes_nsf")


def form_values(content: dict[str, Any], certifiers: list[Any]) -> dict[str, Any]:
    """The filing form's values a fiche gives back (a renewal's prefill when no dossier is
    left): the reverse of what this module makes of the form."""
    values: dict[str, Any] = dict(certifier_fields(certifiers))
    for key in _CODE_KEYS:
        codes = content.get(key)
        if isinstance(codes, list):
            values[key] = ", ".join(
                str(item["code"]) for item in codes if isinstance(item, dict) and item.get("code")
            )
    partners = [
        f"{item['nom']} ; {item['siret']} ; {_WORDS_OF_HABILITATION[item['habilitation']]}"
        for item in content.get("partenaires") or []
        if isinstance(item, dict)
        and item.get("nom")
        and item.get("siret")
        and item.get("habilitation") in _WORDS_OF_HABILITATION
        and item.get("etat_habilitation", ETAT_ACTIF) == ETAT_ACTIF
    ]
    values["partenaires"] = "\n".join(partners) or None
    if isinstance(content.get("existence_partenaires"), bool) or partners:
        values["existence_partenaires"] = bool(partners)
    promotions = [
        f"{item['annee']} : {item['nombre_certifies']}"
        for item in content.get("statistiques_promotions") or []
        if isinstance(item, dict) and "annee" in item and "nombre_certifies" in item
    ]
    values["certifies_par_annee"] = "\n".join(promotions) or None
    ways = [
        way
        for way, tag in JURY_OF_WAY.items()
        if isinstance(content.get(tag.lower()), dict) and content[tag.lower()].get("actif") is True
    ]
    if ways and not isinstance(content.get("voies_acces"), list):
        values["voies_acces"] = ways
    for way, tag in JURY_OF_WAY.items():
        jury = content.get(tag.lower())
        if isinstance(jury, dict) and isinstance(jury.get("composition"), str):
            values[f"jury_{way}"] = jury["composition"]
    years = str(content.get("duree_validite") or "")
    if years.isdigit():
        values |= {"validite_limitee": True, "duree_validite_annees": int(years)}
    if isinstance(content.get("reglementations_activites"), str):
        values["texte_reglementaire"] = content["reglementations_activites"]
    return values
