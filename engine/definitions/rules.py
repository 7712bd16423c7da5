"""The legal values a process owner sets for a procedure (process.json, key "regles"), the
service that handles its dossiers (key "service") and the prefix of their references (key
"prefixe_reference"). Each value has the default the issue gives; code reads them here, never as
constants of its own."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.core.counter import INVENTAIRE_PREFIX
from engine.core.errors import ProcessModelError
from engine.core.settings import (
    INVENTAIRE_SERVICE_ID,
    EngineSettings,
    ServiceContact,
)

if TYPE_CHECKING:
    from engine.definitions.definition import ProcessDefinition

SILENCE_NATURES = {
    "rejet": "une décision implicite de rejet",
    "acceptation": "une décision implicite d'acceptation",
}


@dataclass(frozen=True)
class SilenceRule:
    """After `delai_mois` months without an express decision, silence makes a decision of this
    `nature` (CRPA L. 231-1 and L. 231-4): said in the acknowledgement (CRPA R. 112-5)."""

    delai_mois: int
    nature: str  # "rejet" | "acceptation"

    @property
    def libelle(self) -> str:
        return SILENCE_NATURES[self.nature]


@dataclass(frozen=True)
class ProcessRules:
    # Longest recensement a deliberation may grant (L. 6113-6 code du travail: five years).
    duree_max_annees: int = 5
    # None: the process owner states no implicit decision (none is announced).
    silence_vaut: SilenceRule | None = None
    # Months before the end of validity from which a renewal is late (France compétences
    # advises filing at least seven months before).
    seuil_renouvellement_mois: int = 7
    # Days given to a certifier to present observations before a withdrawal (R. 6113-17: not
    # fewer than thirty).
    delai_observations_jours: int = 30
    # Months after the end of validity (or a withdrawal) during which attestations may still be
    # delivered to candidates already engaged (DATE_LIMITE_DELIVRANCE).
    delai_limite_delivrance_mois: int = 6

    def bounds(self) -> dict[str, int]:
        """The values a form may take a bound from (`"maximumRegle": "duree_max_annees"`,
        `"minimumRegle": "delai_observations_jours"`)."""
        return {
            "duree_max_annees": self.duree_max_annees,
            "delai_observations_jours": self.delai_observations_jours,
        }


def process_rules(definition: ProcessDefinition) -> ProcessRules:
    return definition.rules


@dataclass(frozen=True)
class ProcessService:
    """Who handles a procedure's dossiers (process.json "service"): the service's identity (the
    operator's settings for it are keyed by `id`), the authority as the submitter's pages name
    it, and the contact its letters sign with. The defaults are the Inventaire's (the CNCP)."""

    id: str = INVENTAIRE_SERVICE_ID
    # The authority's short name, alone: who the submitter reads did the staff's steps.
    autorite: str = "CNCP"
    # The same after « de » (« entre les mains de la CNCP », « … de France compétences »).
    de_autorite: str = "de la CNCP"
    contact: ServiceContact = field(default_factory=ServiceContact)


def process_service(definition: ProcessDefinition) -> ProcessService:
    return definition.service


def service_contact(definition: ProcessDefinition, settings: EngineSettings) -> ServiceContact:
    """The contact the process's letters and pages give: its own, each value the operator
    sets for this service (and for no other) winning."""
    service = definition.service
    return service.contact.overridden_by(settings.service_override(service.id))


def rules_from_config(config: Mapping[str, Any]) -> ProcessRules:
    """The "regles" of a process.json; ProcessModelError (French) names a wrong value."""
    raw = config.get("regles", {})
    if not isinstance(raw, Mapping):
        raise ProcessModelError("process.json\u00a0: «\u00a0regles\u00a0» doit être un objet.")
    defaults = ProcessRules()
    years = raw.get("duree_max_annees", defaults.duree_max_annees)
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ProcessModelError(
            "process.json\u00a0: «\u00a0regles.duree_max_annees\u00a0» doit être un nombre entier "
            "d'années "
            "(1 au moins)."
        )
    return ProcessRules(
        duree_max_annees=years,
        silence_vaut=_silence(raw.get("silence_vaut")),
        **{name: _count(raw, name, default) for name, default in _COUNTS.items()},
    )


# The whole numbers among the rules (name → default), each 0 or more.
_COUNTS = {
    "seuil_renouvellement_mois": ProcessRules.seuil_renouvellement_mois,
    "delai_observations_jours": ProcessRules.delai_observations_jours,
    "delai_limite_delivrance_mois": ProcessRules.delai_limite_delivrance_mois,
}


def _count(raw: Mapping[str, Any], name: str, default: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProcessModelError(
            f"process.json\u00a0: «\u00a0regles.{name}\u00a0» doit être un nombre entier positif."
        )
    return int(value)


# A service's id: lower-case letters and digits, inner hyphens (`cncp`, `france-competences`).
SERVICE_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
SERVICE_ID_MAX = 40


def service_from_config(config: Mapping[str, Any]) -> ProcessService:
    raw = config.get("service", {})
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise ProcessModelError(
            "process.json\u00a0: «\u00a0service\u00a0» doit être un objet de textes "
            "(id, autorite, de_autorite, nom, adresse, courriel, telephone)."
        )
    defaults = ProcessService()
    service_id = raw.get("id", defaults.id)
    if len(service_id) > SERVICE_ID_MAX or SERVICE_ID.fullmatch(service_id) is None:
        raise ProcessModelError(
            "process.json\u00a0: «\u00a0service.id\u00a0» doit commencer par une lettre "
            "minuscule et ne contenir que des minuscules, des chiffres et des tirets "
            f"({SERVICE_ID_MAX} caractères au plus), par exemple «\u00a0cncp\u00a0» ou "
            "«\u00a0france-competences\u00a0»."
        )
    autorite = raw.get("autorite") or defaults.autorite
    # An authority named without an article (« France compétences ») reads « de France
    # compétences »; one that takes an article gives its own « de_autorite ».
    de_autorite = raw.get("de_autorite") or (
        f"de {autorite}" if raw.get("autorite") else defaults.de_autorite
    )
    return ProcessService(
        id=service_id,
        autorite=autorite,
        de_autorite=de_autorite,
        contact=ServiceContact(
            nom=raw.get("nom", ""),
            adresse=raw.get("adresse", ""),
            courriel=raw.get("courriel", ""),
            telephone=raw.get("telephone", ""),
        ),
    )


def _silence(raw: Any) -> SilenceRule | None:
    if raw is None:
        return None
    months = raw.get("delai_mois") if isinstance(raw, Mapping) else None
    nature = raw.get("nature") if isinstance(raw, Mapping) else None
    if (
        isinstance(months, bool)
        or not isinstance(months, int)
        or not 1 <= months <= 24
        or nature not in SILENCE_NATURES
    ):
        raise ProcessModelError(
            "process.json\u00a0: «\u00a0regles.silence_vaut\u00a0» doit donner "
            "«\u00a0delai_mois\u00a0» (1 à 24) et "
            "«\u00a0nature\u00a0» («\u00a0rejet\u00a0» ou «\u00a0acceptation\u00a0»)."
        )
    return SilenceRule(delai_mois=months, nature=nature)


# A reference is PREFIXE-AAAA-NNNNN in a column of 20 characters: 8 for the prefix leaves room
# for a million dossiers a year. Capitals, digits and inner hyphens: it reads in a letter.
REFERENCE_PREFIX = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")
REFERENCE_PREFIX_MAX = 8


def reference_prefix_from_config(config: Mapping[str, Any]) -> str:
    """The "prefixe_reference" of a process.json: what its dossiers' references start with
    (INV, the Inventaire's, by default)."""
    prefix = config.get("prefixe_reference", INVENTAIRE_PREFIX)
    if (
        not isinstance(prefix, str)
        or len(prefix) > REFERENCE_PREFIX_MAX
        or REFERENCE_PREFIX.fullmatch(prefix) is None
    ):
        raise ProcessModelError(
            "process.json\u00a0: «\u00a0prefixe_reference\u00a0» doit commencer par une lettre "
            "majuscule et ne contenir que des majuscules, des chiffres et des tirets "
            f"({REFERENCE_PREFIX_MAX} caractères au plus), par exemple «\u00a0INV\u00a0» ou "
            "«\u00a0RS-DEM\u00a0»."
        )
    return prefix
