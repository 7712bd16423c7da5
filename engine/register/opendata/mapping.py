"""A register entry ↔ a FICHE element of the open-data export (fiche.py says where each goes).

`read_fiche` turns one parsed `<FICHE>` into the values of a register entry, refusing what is
not valid (`FicheInvalid` names the element and says why, in French). `write_fiche` builds the
`<FICHE>` of an entry, published by our procedure or imported, elements in the export's order.
Reading then writing gives back the same value for every element `fiche.ELEMENTS` keeps; an
empty element counts as absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from lxml import etree

from engine.core.models import RegisterStatus
from engine.register.opendata.fiche import (
    BY_TAG,
    ELEMENTS,
    JURY_OF_WAY,
    Element,
    Field,
    Kind,
    Store,
    ValueInvalid,
    date_to_moment,
    format_bool,
    format_date,
    iso_to_text,
    moment_to_date,
    parse_bool,
    parse_date,
    parse_digits,
    parse_int,
    xml_text,
)

NUMERO_MAX = 20  # register_entry.numero
INTITULE_MAX = 500  # register_entry.intitule
ETAT_PUBLIEE = "Publiée"
SOURCE_IMPORT = "import"  # register_entry.source of the fiches imported from an export
_NUMERO = re.compile(rf"[A-Za-z0-9_-]{{1,{NUMERO_MAX}}}")
_CODE_SEPARATORS = re.compile(r"[,;\s]+")
CODE_KEYS = ("formacodes", "codes_nsf", "codes_rome")

# The columns an export reads: what `EntryData` holds.
ENTRY_COLUMNS = (
    "id",
    "numero",
    "intitule",
    "categorie",
    "certificateurs",
    "autorite_legitime",
    "content",
    "date_decision",
    "debut_validite",
    "fin_validite",
    "statut",
    "numero_precedent",
    "source",
)


class FicheInvalid(Exception):
    """A fiche that cannot be imported: `element` is the path of the element at fault."""

    def __init__(self, element: str, reason: str) -> None:
        super().__init__(f"{element} : {reason}")
        self.element = element
        self.reason = reason


@dataclass(frozen=True)
class Fiche:
    """The values of one valid fiche, shaped for a register entry."""

    numero: str
    intitule: str
    certificateurs: list[dict[str, Any]]
    date_decision: datetime | None
    debut_validite: datetime | None
    fin_validite: datetime | None
    actif: bool | None
    content: dict[str, Any]
    ignored: tuple[str, ...] = ()  # paths of the elements we do not keep

    @property
    def anciennes(self) -> list[str]:
        return list(self.content.get("anciennes_certifications", []))

    @property
    def nouvelles(self) -> list[str]:
        return list(self.content.get("nouvelles_certifications", []))


@dataclass(frozen=True)
class EntryData:
    """The columns of a register entry an export needs (from an ORM object or a Core row)."""

    id: int
    numero: str
    intitule: str
    categorie: str
    certificateurs: dict[str, Any] | None
    autorite_legitime: str | None
    content: dict[str, Any] | None
    date_decision: datetime | None
    debut_validite: datetime | None
    fin_validite: datetime | None
    statut: str
    numero_precedent: str | None
    source: str
    successors: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, row: Any, successors: Sequence[str] = ()) -> EntryData:
        values = {name: getattr(row, name) for name in ENTRY_COLUMNS}
        for name in ("content", "certificateurs"):  # JSON written by hand may be anything
            if not isinstance(values[name], dict):
                values[name] = {}
        return cls(**values, successors=tuple(successors))


# --- reading ---------------------------------------------------------------------------------


def numero_of(element: etree._Element) -> str | None:
    """The NUMERO_FICHE of a fiche, even an invalid one (to name it in a report)."""
    text = (element.findtext("NUMERO_FICHE") or "").strip()
    return text[: NUMERO_MAX * 2] or None


def read_fiche(element: etree._Element) -> Fiche:
    """The values of a `<FICHE>`; raises FicheInvalid on the first element at fault."""
    values: dict[str, Any] = {}
    ignored: list[str] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        spec = BY_TAG.get(child.tag)
        if spec is None:
            ignored.append(child.tag)
            continue
        if spec.tag in values:
            raise FicheInvalid(spec.tag, "l'élément apparaît plusieurs fois dans la fiche")
        value = _read_element(spec, child, ignored)
        if value is not None:
            values[spec.tag] = value

    numero = _numero(values.get("NUMERO_FICHE"), "NUMERO_FICHE")
    intitule = values.get("INTITULE")
    if intitule is None:
        raise FicheInvalid("INTITULE", "l'élément est obligatoire et manque ou est vide")
    if len(intitule) > INTITULE_MAX:
        raise FicheInvalid("INTITULE", f"l'intitulé dépasse {INTITULE_MAX} caractères")
    for tag in ("ANCIENNES_CERTIFICATIONS", "NOUVELLES_CERTIFICATIONS"):
        spec = BY_TAG[tag]
        path = f"{tag}/{spec.item}/{spec.fields[0].tag}"
        values[tag] = [_numero(value, path) for value in values.get(tag, [])]
        if not values[tag]:
            del values[tag]

    content: dict[str, Any] = {}
    for spec in ELEMENTS:
        if spec.store == Store.CONTENT and spec.tag in values:
            content[spec.key] = values[spec.tag]
    return Fiche(
        numero=numero,
        intitule=intitule,
        certificateurs=values.get("CERTIFICATEURS", []),
        date_decision=_moment(values.get("DATE_DECISION")),
        debut_validite=_moment(values.get("DATE_EFFET")),
        fin_validite=_moment(values.get("DATE_FIN_ENREGISTREMENT")),
        actif=values.get("ACTIF"),
        content=content,
        ignored=tuple(ignored),
    )


def _read_element(spec: Element, element: etree._Element, ignored: list[str]) -> Any:
    if spec.is_leaf:
        if _has_children(element):
            raise FicheInvalid(spec.tag, "une valeur simple est attendue, pas des sous-éléments")
        return _leaf(spec.tag, spec.kind, element.text)
    if spec.item is None:
        return _group(spec.tag, spec.fields, element, ignored) or None
    items: list[Any] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag != spec.item:
            ignored.append(f"{spec.tag}/{child.tag}")
            continue
        path = f"{spec.tag}/{spec.item}"
        group = _group(path, spec.fields, child, ignored)
        if spec.flat:
            value = group.get(spec.fields[0].key)
            if value is not None:
                items.append(value)
        elif group:
            items.append(group)
    return items or None


def _group(
    path: str, fields: tuple[Field, ...], element: etree._Element, ignored: list[str]
) -> dict[str, Any]:
    by_tag = {item.tag: item for item in fields}
    group: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        item = by_tag.get(child.tag)
        if item is None:
            ignored.append(f"{path}/{child.tag}")
            continue
        child_path = f"{path}/{child.tag}"
        if item.key in group:
            raise FicheInvalid(child_path, "l'élément apparaît plusieurs fois dans son groupe")
        if _has_children(child):
            raise FicheInvalid(child_path, "une valeur simple est attendue, pas des sous-éléments")
        value = _leaf(child_path, item.kind, child.text)
        if value is not None:
            group[item.key] = value
    return group


def _leaf(path: str, kind: Kind, text: str | None) -> Any:
    """The stored value of a leaf; None when it is empty (an empty element counts as absent)."""
    if text is None or not text.strip():
        return None
    try:
        if kind == Kind.DATE:
            return parse_date(text).isoformat()
        if kind == Kind.BOOL:
            return parse_bool(text)
        if kind == Kind.INT:
            return parse_int(text)
        if kind == Kind.DIGITS:
            return parse_digits(text)
    except ValueInvalid as error:
        raise FicheInvalid(path, str(error)) from None
    return text


def _has_children(element: etree._Element) -> bool:
    return any(isinstance(child.tag, str) for child in element)


def _numero(value: Any, path: str) -> str:
    text = (value or "").strip()
    if not text:
        raise FicheInvalid(path, "l'élément est obligatoire et manque ou est vide")
    if _NUMERO.fullmatch(text) is None:
        raise FicheInvalid(
            path,
            f"« {text[:40]} » n'est pas un numéro de fiche (lettres et chiffres, "
            f"{NUMERO_MAX} caractères au plus)",
        )
    return text


def _moment(iso: str | None) -> datetime | None:
    return date_to_moment(date.fromisoformat(iso)) if iso else None


# --- writing ---------------------------------------------------------------------------------


def write_fiche(entry: EntryData) -> etree._Element:
    """The `<FICHE>` of a register entry, children in the export's order."""
    fiche = etree.Element("FICHE")
    content = entry.content or {}
    sub = etree.SubElement
    # An export writes tens of thousands of fiches: the plan is a tuple per element.
    for tag, key, special, kind, fields, item in _plan():
        value = special(entry, content) if special is not None else content.get(key)
        if value is None or value == "" or value == [] or value == {}:
            continue
        if not fields:
            text = value if kind is Kind.TEXT and value.__class__ is str else None
            if text is None or text.isspace():
                text = _leaf_text(kind, value)
                if text is None:
                    continue
            child = sub(fiche, tag)
            try:
                child.text = text
            except ValueError:  # a character XML cannot carry (typed by hand)
                child.text = xml_text(text)
        elif item is None:
            if value.__class__ is dict:
                group = etree.SubElement(fiche, tag)
                _write_fields(group, fields, value)
                if not len(group):
                    fiche.remove(group)
        elif value.__class__ is list:
            _write_items(fiche, BY_TAG[tag], value)
    return fiche


Plan = tuple[tuple[str, str, "Reader | None", Kind, "Fields", str | None], ...]


@cache
def _plan() -> Plan:
    return tuple(
        (spec.tag, spec.key, _FROM_ENTRY.get(spec.tag), spec.kind, _FIELDS[spec.tag], spec.item)
        for spec in ELEMENTS
    )


Reader = Callable[[EntryData, dict[str, Any]], Any]


def _jury_reader(tag: str) -> Reader:
    return lambda entry, _content: jury_of(entry, tag)


def _codes_reader(key: str) -> Reader:
    return lambda _entry, content: codes_of(content, key)


# Elements whose value is not content[spec.key] as it is.
_FROM_ENTRY: dict[str, Reader] = {
    "ID_FICHE": lambda entry, content: content.get("id_fiche") or str(entry.id),
    "NUMERO_FICHE": lambda entry, _content: entry.numero,
    "INTITULE": lambda entry, _content: entry.intitule,
    "ETAT_FICHE": lambda _entry, content: content.get("etat_fiche") or ETAT_PUBLIEE,
    "ANCIENNES_CERTIFICATIONS": lambda entry, _content: anciennes_of(entry),
    "NOUVELLES_CERTIFICATIONS": lambda entry, _content: nouvelles_of(entry),
    "CERTIFICATEURS": lambda entry, _content: (entry.certificateurs or {}).get("certificateurs"),
    "DATE_DECISION": lambda entry, _content: _date_of(entry.date_decision),
    "DATE_EFFET": lambda entry, _content: _date_of(entry.debut_validite),
    "DATE_FIN_ENREGISTREMENT": lambda entry, _content: _date_of(entry.fin_validite),
    "ACTIF": lambda entry, _content: entry.statut == RegisterStatus.ACTIVE,
    "DUREE_ENREGISTREMENT": lambda entry, _content: duration_of(entry),
    **{tag: _jury_reader(tag) for tag in BY_TAG if tag.startswith("SI_JURY_")},
    **{spec.tag: _codes_reader(spec.key) for spec in ELEMENTS if spec.key in CODE_KEYS},
}


def _write_items(parent: etree._Element, spec: Element, items: list[Any]) -> None:
    container = etree.SubElement(parent, spec.tag)
    item_tag = spec.item or ""
    fields = _FIELDS[spec.tag]
    first_key = spec.fields[0].key
    for item in items:
        values = {first_key: item} if spec.flat else item
        if values.__class__ is not dict:
            continue
        child = etree.SubElement(container, item_tag)
        _write_fields(child, fields, values)
        if not len(child):
            container.remove(child)
    if not len(container):
        parent.remove(container)


# (key, tag, kind, is text) of each group's fields: the hot loop reads tuples.
Fields = tuple[tuple[str, str, Kind, bool], ...]
_FIELDS: dict[str, Fields] = {
    spec.tag: tuple((item.key, item.tag, item.kind, item.kind is Kind.TEXT) for item in spec.fields)
    for spec in ELEMENTS
}


def _write_fields(parent: etree._Element, fields: Fields, values: dict[str, Any]) -> None:
    # The hot loop of an export (partners, certifiers, codes): text takes the short way.
    sub = etree.SubElement
    for key, tag, kind, is_text in fields:
        value = values.get(key)
        if value is None:
            continue
        if is_text and value.__class__ is str:
            if not value or value.isspace():
                continue
            text: str | None = value
        else:
            text = _leaf_text(kind, value)
            if text is None:
                continue
        child = sub(parent, tag)
        try:
            child.text = text
        except ValueError:  # a character XML cannot carry (a control character typed by hand)
            child.text = xml_text(text)


def _leaf_text(kind: Kind, value: Any) -> str | None:
    """The text of a stored value; None for what is absent or not of its kind (never an error:
    an export must not fail on an odd value written by hand)."""
    if value is None or value == "":
        return None
    if kind is Kind.DATE:
        if isinstance(value, date):
            return format_date(value)
        return iso_to_text(value) if isinstance(value, str) else None
    if kind is Kind.BOOL:
        return format_bool(bool(value))
    if kind is Kind.INT:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else None
    text = value if isinstance(value, str) else str(value)
    return None if text.isspace() else text


def _date_of(moment: datetime | None) -> date | None:
    return moment_to_date(moment) if moment is not None else None


# --- values an export shows (the XML and the CSV alike) -------------------------------------


def anciennes_of(entry: EntryData) -> list[str]:
    """The fiches this one renews: its own list, and the chain kept by number."""
    anciennes = _strings((entry.content or {}).get("anciennes_certifications"))
    if entry.numero_precedent and entry.numero_precedent not in anciennes:
        anciennes.insert(0, entry.numero_precedent)
    return anciennes


def nouvelles_of(entry: EntryData) -> list[str]:
    """The fiches that renew this one: its own list, and the entries chained to it."""
    nouvelles = _strings((entry.content or {}).get("nouvelles_certifications"))
    return nouvelles + [numero for numero in entry.successors if numero not in nouvelles]


def duration_of(entry: EntryData) -> int | None:
    """DUREE_ENREGISTREMENT: as stored; for an entry of ours published before it was stored,
    the whole years from the decision to the end (an imported fiche without it has none)."""
    stored = (entry.content or {}).get("duree_enregistrement")
    if isinstance(stored, int) and not isinstance(stored, bool):
        return stored
    if entry.source == SOURCE_IMPORT:
        return None
    return _years(entry.date_decision or entry.debut_validite, entry.fin_validite)


def jury_of(entry: EntryData, tag: str) -> dict[str, Any] | None:
    """A SI_JURY_* group: as stored, else from the form's `voies_acces` (older entries)."""
    content = entry.content or {}
    stored = content.get(tag.lower())
    if isinstance(stored, dict):
        return stored
    ways = content.get("voies_acces")
    if not isinstance(ways, list):
        return None
    return {"actif": any(JURY_OF_WAY.get(way) == tag for way in ways)}


def _years(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    first, last = moment_to_date(start), moment_to_date(end)
    years = last.year - first.year - ((last.month, last.day) < (first.month, first.day))
    return years if years > 0 else None


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def codes_of(content: dict[str, Any], key: str) -> list[dict[str, str]]:
    """The codes kept under `key` (CODE_KEYS) as [{"code", "libelle"?}], whether stored as a
    list (fiches, new publications) or as the form's text ("42103, 31234": older entries)."""
    value = content.get(key)
    if isinstance(value, str):
        return [{"code": code} for code in _CODE_SEPARATORS.split(value) if code]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict) and item.get("code")]
    return []
