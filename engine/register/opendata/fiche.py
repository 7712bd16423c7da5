"""What a FICHE of France compétences' open-data export is made of, and where we keep each part.

`ELEMENTS` lists the children of `FICHE` in the export's fixed order (DOMAIN.md and the real
sample `rs-open-data-sample.xml`), each with its shape and where a register entry keeps it:

- a few elements have a column of `register_entry` (`Store.COLUMN`): NUMERO_FICHE → `numero`,
  INTITULE → `intitule`, CERTIFICATEURS → `certificateurs`, DATE_DECISION → `date_decision`,
  DATE_EFFET → `debut_validite`, DATE_FIN_ENREGISTREMENT → `fin_validite`; ACTIF is our
  `statut` (Active ↔ Oui), ANCIENNES_CERTIFICATIONS also fills `numero_precedent`;
- every other element is kept in `register_entry.content` under the key given here. Where the
  procedure already had a key for the same thing (engine/publication.py), the fiche uses it:
  CAPACITES_ATTESTEES → `competences_attestees`, PREREQUIS_VALIDATION_CERTIFICATION →
  `prerequis`, FORMACODES → `formacodes`, CODES_NSF → `codes_nsf`, CODES_ROME → `codes_rome`;
  the others are the element's name in lower case (OBJECTIFS_CONTEXTE → `objectifs_contexte`).

An element of the format that none of these models (CORRESPONDANCES, CCN_1, CODES_IDCC,
SI_JURY_CA…), or a child we do not model inside a group (NOM_COMMERCIAL in a CERTIFICATEUR), is
kept as it came: its XML under `RAW_KEY` (of `content`, or of the group's dict), each with the
tag of the modelled element it followed (`RAW_AFTER`, "" for the first), so that the export writes
it back where the format puts it. A child we do not model beside the items of a list (an AUTRE
inside FORMACODES, next to its FORMACODE items) is kept under `content[RAW_KEY]` too, with its
container (`RAW_IN`) and the number of items before it (`RAW_RANK`); an item of a list of values
(ANCIENNE_CERTIFICATION) holding a child we do not model is kept whole there, its value still in
the list, and written back in its place (`RAW_REPLACES`). Nothing a fiche holds is dropped.

Values in `content`: text as it is in the file, JJ/MM/AAAA dates as ISO text (AAAA-MM-JJ),
Oui/Non as booleans, counts as integers, repeated groups (FORMACODES/FORMACODE…) as lists of
small dicts keyed by the `Field.key` of each child, single groups (SI_JURY_FI…) as one dict.

The category (A/B/C) and the autorité légitime have no element: they stay in our own columns and
never appear in the XML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from engine.core.clock import PARIS, as_utc

VERSION_FLUX = "4.1"
RAW_KEY = "autres_elements"  # [{"apres": tag, "xml": "<TAG>…</TAG>"}…]
RAW_AFTER, RAW_XML = "apres", "xml"
# Kept inside a list: {"dans": "FORMACODES", "apres": "FORMACODE", "rang": 1, "xml": "<AUTRE/>"}
# (after the first item), "remplace": true when it is an item itself, written instead of it.
RAW_IN, RAW_RANK, RAW_REPLACES = "dans", "rang", "remplace"
# ID_FICHE of an entry of ours: this + its row id; France compétences' ids are far below it
# (tens of thousands), and an import refuses a fiche whose ID_FICHE is in this range.
OWN_ID_FICHE_BASE = 9_000_000_000


def etat_says_withdrawn(etat: str) -> bool:
    """Whether an ETAT_FICHE says the fiche is withdrawn or no longer published (« Retirée »,
    « Dépubliée/Archivée »: what our export writes for a withdrawn entry)."""
    lowered = etat.lower()
    return any(word in lowered for word in ("retir", "dépubli", "depubli", "archiv"))


OUI, NON = "Oui", "Non"


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"  # JJ/MM/AAAA
    BOOL = "bool"  # Oui / Non
    INT = "int"  # a count (DUREE_ENREGISTREMENT, ANNEE…)
    DIGITS = "digits"  # an identifier made of digits, kept as text (ID_FICHE)


class Store(StrEnum):
    CONTENT = "content"
    COLUMN = "column"
    STATUS = "status"  # ACTIF: computed from and into our status, never stored as is


@dataclass(frozen=True)
class Field:
    """A leaf child of a group (CODE inside FORMACODE)."""

    tag: str
    key: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Element:
    """A child of FICHE.

    Shapes: a leaf (no `fields`); a single group (`fields`, no `item`: SI_JURY_FI); a list of
    groups (`item` repeated, each with `fields`: FORMACODES/FORMACODE); a list of values when
    `flat` (the one field of each item: ANCIENNES_CERTIFICATIONS).
    """

    tag: str
    key: str
    kind: Kind = Kind.TEXT
    item: str | None = None
    fields: tuple[Field, ...] = ()
    flat: bool = False
    store: Store = Store.CONTENT

    @property
    def is_leaf(self) -> bool:
        return not self.fields


def _codes(tag: str, key: str, item: str) -> Element:
    return Element(tag, key, item=item, fields=(Field("CODE", "code"), Field("LIBELLE", "libelle")))


def _jury(tag: str) -> Element:
    return Element(
        tag,
        tag.lower(),
        fields=(
            Field("DATE_DERNIERE_MODIFICATION", "date_derniere_modification", Kind.DATE),
            Field("ACTIF", "actif", Kind.BOOL),
            Field("COMPOSITION", "composition"),
        ),
    )


def _publications(tag: str) -> Element:
    return Element(
        tag,
        tag.lower(),
        item="PUBLICATION_JO",
        fields=(
            Field("TITRE", "titre"),
            Field("DATE_PUBLICATION_JO", "date_publication_jo", Kind.DATE),
        ),
    )


ELEMENTS: tuple[Element, ...] = (
    Element("ID_FICHE", "id_fiche", Kind.DIGITS),
    Element("NUMERO_FICHE", "numero", store=Store.COLUMN),
    Element(
        "NOUVELLES_CERTIFICATIONS",
        "nouvelles_certifications",
        item="NOUVELLE_CERTIFICATION",
        fields=(Field("ID_FICHE_NOUVELLE_CERTIFICATION", "numero"),),
        flat=True,
    ),
    Element(
        "ANCIENNES_CERTIFICATIONS",
        "anciennes_certifications",
        item="ANCIENNE_CERTIFICATION",
        fields=(Field("ID_FICHE_ANCIENNE_CERTIFICATION", "numero"),),
        flat=True,
    ),
    Element("INTITULE", "intitule", store=Store.COLUMN),
    Element(
        "ABREGE",
        "abrege",
        fields=(Field("CODE", "code"), Field("LIBELLE", "libelle"), Field("INTITULE", "intitule")),
    ),
    Element("ETAT_FICHE", "etat_fiche"),
    _codes("FORMACODES", "formacodes", "FORMACODE"),
    Element(
        "NOMENCLATURE_EUROPE",
        "nomenclature_europe",
        fields=(
            Field("NIVEAU", "niveau"),
            Field("INTITULE", "intitule"),
            Field("LIBELLE", "libelle"),
        ),
    ),
    _codes("CODES_NSF", "codes_nsf", "NSF"),
    Element(
        "CERTIFICATEURS",
        "certificateurs",
        item="CERTIFICATEUR",
        fields=(
            Field("SIRET_CERTIFICATEUR", "siret"),
            Field("NOM_CERTIFICATEUR", "nom"),
            Field("ETAT_CERTIFICATEUR", "etat"),
            Field("DATE_DERNIERE_MODIFICATION_ETAT", "date_modification_etat", Kind.DATE),
            Field("SITE_INTERNET", "site_internet"),
        ),
        store=Store.COLUMN,
    ),
    Element("EXISTENCE_PARTENAIRES", "existence_partenaires", Kind.BOOL),
    Element(
        "PARTENAIRES",
        "partenaires",
        item="PARTENAIRE",
        fields=(
            Field("NOM_PARTENAIRE", "nom"),
            Field("SIRET_PARTENAIRE", "siret"),
            Field("HABILITATION_PARTENAIRE", "habilitation"),
            Field("ETAT_HABILITATION", "etat_habilitation"),
            Field("DATE_ACTIF", "date_actif", Kind.DATE),
            Field("DATE_DERNIERE_MODIFICATION_ETAT", "date_modification_etat", Kind.DATE),
        ),
    ),
    Element("ACTIVITES_VISEES", "activites_visees"),
    Element("CAPACITES_ATTESTEES", "competences_attestees"),
    Element("SECTEURS_ACTIVITE", "secteurs_activite"),
    Element("TYPE_EMPLOI_ACCESSIBLES", "type_emploi_accessibles"),
    _codes("CODES_ROME", "codes_rome", "ROME"),
    Element("REGLEMENTATIONS_ACTIVITES", "reglementations_activites"),
    _jury("SI_JURY_FI"),
    _jury("SI_JURY_FC"),
    _jury("SI_JURY_CQ"),
    _jury("SI_JURY_CL"),
    _jury("SI_JURY_VAE"),
    _publications("PUBLICATION_DECRET_GENERAL"),
    _publications("PUBLICATION_DECRET_CREATION"),
    _publications("PUBLICATION_DECRET_AUTRE"),
    Element("DATE_DERNIER_JO", "date_dernier_jo", Kind.DATE),
    Element("DATE_DECISION", "decision_at", Kind.DATE, store=Store.COLUMN),
    Element("DUREE_ENREGISTREMENT", "duree_enregistrement", Kind.INT),
    # The certification's validity for its holders, in years (text: kept as written).
    Element("DUREE_VALIDITE", "duree_validite"),
    Element(
        "STATISTIQUES_PROMOTIONS",
        "statistiques_promotions",
        item="STATISTIQUES_PROMOTION",
        fields=(
            Field("ANNEE", "annee", Kind.INT),
            Field("NOMBRE_CERTIFIES", "nombre_certifies", Kind.INT),
        ),
    ),
    Element("LIEN_URL_DESCRIPTION", "lien_url_description"),
    Element("DATE_FIN_ENREGISTREMENT", "end_at", Kind.DATE, store=Store.COLUMN),
    Element("DATE_EFFET", "start_at", Kind.DATE, store=Store.COLUMN),
    Element("TYPE_ENREGISTREMENT", "type_enregistrement"),
    Element("OBJECTIFS_CONTEXTE", "objectifs_contexte"),
    Element("NIVEAU_MAITRISE_COMPETENCES", "niveau_maitrise_competences"),
    Element("MODALITES_RENOUVELLEMENT", "modalites_renouvellement"),
    Element("VALIDATION_PARTIELLE", "validation_partielle", Kind.BOOL),
    Element("ACTIF", "status", Kind.BOOL, store=Store.STATUS),
    Element("PREREQUIS_ENTREE_FORMATION", "prerequis_entree_formation"),
    Element("DATE_DE_PUBLICATION", "date_de_publication", Kind.DATE),
    Element("PREREQUIS_VALIDATION_CERTIFICATION", "prerequis"),
    Element("DATE_LIMITE_DELIVRANCE", "date_limite_delivrance", Kind.DATE),
)
BY_TAG = {element.tag: element for element in ELEMENTS}
FICHE_ORDER = tuple(element.tag for element in ELEMENTS)
CONTENT_KEYS = frozenset(e.key for e in ELEMENTS if e.store == Store.CONTENT)
# The SI_JURY_* groups are the ways to the certification; the procedure's form calls them so.
JURY_OF_WAY = {
    "formation_initiale": "SI_JURY_FI",
    "formation_continue": "SI_JURY_FC",
    "contrat_professionnalisation": "SI_JURY_CQ",
    "candidature_individuelle": "SI_JURY_CL",
    "vae": "SI_JURY_VAE",
}
JURY_LABELS = {
    "SI_JURY_FI": "Formation initiale",
    "SI_JURY_FC": "Formation continue",
    "SI_JURY_CQ": "Contrat de professionnalisation",
    "SI_JURY_CL": "Candidature individuelle",
    "SI_JURY_VAE": "VAE",
}


# --- values ----------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_INT = re.compile(r"\d{1,9}")
# Characters XML 1.0 cannot carry (lxml refuses them): dropped from what we write.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class ValueInvalid(ValueError):
    """A value that is not of its element's kind; the message is French and names the value."""


def parse_date(text: str) -> date:
    """'25/01/2023' → date(2023, 1, 25); a date that does not exist (31/02) is refused."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise ValueInvalid(f"«\u00a0{_short(text)}\u00a0» n'est pas une date au format JJ/MM/AAAA")
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueInvalid(f"«\u00a0{_short(text)}\u00a0» n'est pas une date qui existe") from None


def format_date(value: date) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"  # strftime is 5x slower


def iso_to_text(value: str) -> str | None:
    """'2023-01-25' (as stored) → '25/01/2023'; None when it is not such a date."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        year, month, day = value[:4], value[5:7], value[8:]
        if year.isdigit() and month.isdigit() and day.isdigit():
            return f"{day}/{month}/{year}"  # the hot path of an export: no date object
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return None


def parse_bool(text: str) -> bool:
    value = text.strip()
    if value == OUI:
        return True
    if value == NON:
        return False
    raise ValueInvalid(
        f"«\u00a0{_short(text)}\u00a0» n'est ni «\u00a0Oui\u00a0» ni «\u00a0Non\u00a0»"
    )


def format_bool(value: bool) -> str:
    return OUI if value else NON


def parse_int(text: str) -> int:
    value = text.strip()
    if _INT.fullmatch(value) is None:
        raise ValueInvalid(f"«\u00a0{_short(text)}\u00a0» n'est pas un nombre entier")
    return int(value)


def parse_digits(text: str) -> str:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 20:
        raise ValueInvalid(f"«\u00a0{_short(text)}\u00a0» n'est pas un identifiant numérique")
    return value


def date_to_moment(value: date) -> datetime:
    """A calendar date of the register (a French one) as the UTC instant its day starts."""
    return datetime(value.year, value.month, value.day, tzinfo=PARIS).astimezone(UTC)


def moment_to_date(moment: datetime) -> date:
    """The register's (Paris) calendar date of a moment; a naive one is taken as UTC."""
    return as_utc(moment).astimezone(PARIS).date()


def xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _short(text: str, limit: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
