"""Writing the `<FICHE>` of a register entry, published by our procedure or imported, its
elements in the export's order (fiche.py). Reading a fiche (reading.py) then writing it gives
back every element and value: those `fiche.ELEMENTS` models, and the others kept as they came,
written back after the element they followed (inside a list: after the items they followed).

An entry of ours says what a real fiche of its TYPE_ENREGISTREMENT says: an *enregistrement sur
demande* has a DATE_DECISION and no DATE_EFFET nor DATE_DE_PUBLICATION; an *enregistrement de
droit* the reverse. Its ID_FICHE is taken in a range France compétences' numbering (a few tens
of thousands) never reaches, so it never equals an imported fiche's. A withdrawn entry of ours
is no longer *Publiée*.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from lxml import etree

from engine.core.models import RegisterStatus
from engine.register.opendata.entry import (
    CODE_KEYS,
    SOURCE_IMPORT,
    EntryData,
    anciennes_of,
    codes_of,
    duration_of,
    jury_of,
    nouvelles_of,
)
from engine.register.opendata.fiche import (
    BY_TAG,
    ELEMENTS,
    FICHE_ORDER,
    OWN_ID_FICHE_BASE,
    RAW_AFTER,
    RAW_IN,
    RAW_KEY,
    RAW_RANK,
    RAW_REPLACES,
    RAW_XML,
    Element,
    Kind,
    etat_says_withdrawn,
    format_bool,
    format_date,
    iso_to_text,
    moment_to_date,
    xml_text,
)

ETAT_PUBLIEE = "Publiée"
ETAT_RETIREE = "Dépubliée/Archivée"  # France compétences' word for a fiche no longer published
SUR_DEMANDE = "Enregistrement sur demande"
# The dates a fiche of each TYPE_ENREGISTREMENT carries (the others it has not).
DATES_OF_TYPE = {
    SUR_DEMANDE: frozenset({"DATE_DECISION"}),
    "Enregistrement de droit": frozenset({"DATE_EFFET", "DATE_DE_PUBLICATION"}),
}
TYPED_DATES = frozenset().union(*DATES_OF_TYPE.values())
_RAW_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def write_fiche(entry: EntryData) -> etree._Element:
    """The `<FICHE>` of a register entry as an element (`fiche_xml`'s text, parsed)."""
    return etree.fromstring(fiche_xml(entry))


def fiche_xml(entry: EntryData, *, checked: bool = True) -> str:
    """The `<FICHE>` of a register entry as XML text, children in the export's order.

    Text, not an lxml tree: an export writes tens of thousands of fiches, and building each
    element then serialising it took two thirds of the export's time. The text is the one
    lxml would write for the same tree (escapes included: tests compare them).

    `checked=False` escapes the markup characters only, and leaves in the text a character XML
    cannot carry (which a checked fiche drops): the caller looks for one in the whole text
    (`xml_bytes`) and writes the fiche again, checked, when there is one. Looking value by value
    took two fifths of an export's time; such characters are typed by hand, rarely."""
    escape = _escaped if checked else _markup_escaped
    content = entry.content or {}
    tags: list[str] = []
    parts: list[str] = []
    raw = content.get(RAW_KEY)
    # What was kept inside a list, by the list's tag: only a fiche that had some pays for it.
    inside: dict[str, list[Any]] | None = None
    if raw.__class__ is list and raw:
        raw, inside = _kept_inside(raw)
    # The plan is a tuple per element: the loop reads no dataclass attribute.
    for tag, key, special, kind, leaf, fields, item in _plan():
        value = special(entry, content) if special is not None else content.get(key)
        if value is None or (not value and value.__class__ in _EMPTY_CLASSES):
            if inside is None or item is None or tag not in inside:
                continue
            value = []  # a list holding only what was kept beside its items
        if not fields:
            text = value if kind is Kind.TEXT and value.__class__ is str else None
            if text is None or text.isspace():
                text = leaf(value)
                if text is None:
                    continue
            written = f"<{tag}>{escape(text)}</{tag}>"
        elif item is None:
            if value.__class__ is not dict:
                continue
            inner = _fields_xml(fields, value, escape)
            if not inner:
                continue
            written = f"<{tag}>{inner}</{tag}>"
        elif value.__class__ is list:
            written = _items_xml(BY_TAG[tag], value, escape, inside.get(tag) if inside else None)
            if not written:
                continue
        else:
            continue
        tags.append(tag)
        parts.append(written)
    if raw.__class__ is list and raw:
        parts = _with_raw(tags, parts, raw, _ORDER)
    return "<FICHE>" + "".join(parts) + "</FICHE>"


def _kept_inside(raw: list[Any]) -> tuple[list[Any], dict[str, list[Any]] | None]:
    """The elements kept as children of the fiche, and those kept inside a list, by its tag."""
    top: list[Any] = []
    inside: dict[str, list[Any]] = {}
    for item in raw:
        container = item.get(RAW_IN) if isinstance(item, dict) else None
        if isinstance(container, str) and container:
            inside.setdefault(container, []).append(item)
        else:
            top.append(item)
    return top, inside or None


_ORDER = {tag: index for index, tag in enumerate(FICHE_ORDER)}
# An empty text, list or mapping is no value (False and 0 are).
_EMPTY_CLASSES = frozenset({str, list, dict})
# What element text cannot hold as it is: lxml's escapes, and characters XML cannot carry.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _escaped(text: str) -> str:
    if _SPECIAL.search(text) is None:
        return text  # nearly every value: no copy
    # A character XML cannot carry (a control character typed by hand) is dropped.
    return _markup_escaped(xml_text(text))


def _markup_escaped(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or "\r" in text:  # each a scan at C speed
        return (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("\r", "&#13;")
        )
    return text


# What a character XML cannot carry (fiche.xml_text) leaves in UTF-8: a control byte, or the
# bytes of U+FFFE and U+FFFF (a lone surrogate cannot be encoded at all).
_NOT_XML_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NOT_XML_SEQUENCES = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")


def xml_bytes(text: str) -> bytes | None:
    """`text` in UTF-8, or None when it holds a character XML cannot carry."""
    try:
        data = text.encode()
    except UnicodeEncodeError:
        return None
    if len(data.translate(None, _NOT_XML_BYTES)) != len(data):
        return None
    if b"\xef" in data and any(sequence in data for sequence in _NOT_XML_SEQUENCES):
        return None  # (0xEF begins the characters from U+F000 only: a search for one byte first)
    return data


def _with_raw(
    tags: list[str], parts: list[str], raw: list[Any], order: dict[str, int]
) -> list[str]:
    """The parts with the elements kept as they came, each after the element it followed
    (`order` ranks the parent's modelled children; "" is before them all): where the format
    puts it."""
    ranked = [
        (order.get(tag, -1), 0, index, part)
        for index, (tag, part) in enumerate(zip(tags, parts, strict=True))
    ]
    for index, item in enumerate(raw):
        element = _raw_element(item)
        if element is not None:
            ranked.append((order.get(str(item.get(RAW_AFTER) or ""), -1), 1, index, element))
    ranked.sort(key=lambda rank: rank[:3])
    return [part for _order, _kind, _index, part in ranked]


def _raw_element(item: Any) -> str | None:
    """A kept element's XML as lxml writes it back; None for what does not parse."""
    if not isinstance(item, dict) or not isinstance(item.get(RAW_XML), str):
        return None
    try:
        element = etree.fromstring(item[RAW_XML], _RAW_PARSER)
    except etree.XMLSyntaxError:
        return None  # an export never fails on a value written by hand
    element.tail = None
    return etree.tostring(element, encoding="unicode")


Plan = tuple[tuple[str, str, "Reader | None", Kind, "Leaf", "Fields", str | None], ...]


@cache
def _plan() -> Plan:
    return tuple(
        (
            spec.tag,
            spec.key,
            _FROM_ENTRY.get(spec.tag),
            spec.kind,
            _LEAF_TEXT[spec.kind],
            _FIELDS[spec.tag],
            spec.item,
        )
        for spec in ELEMENTS
    )


Reader = Callable[[EntryData, dict[str, Any]], Any]


def _jury_reader(tag: str) -> Reader:
    return lambda entry, _content: jury_of(entry, tag)


def _codes_reader(key: str) -> Reader:
    return lambda _entry, content: codes_of(content, key)


def _id_fiche(entry: EntryData, content: dict[str, Any]) -> str | None:
    if entry.source == SOURCE_IMPORT:
        return content.get("id_fiche")  # as it came, or none
    return str(OWN_ID_FICHE_BASE + entry.id)


def _etat_fiche(entry: EntryData, content: dict[str, Any]) -> str:
    """An imported fiche's ETAT_FICHE as it came, unless it no longer tells the truth: a fiche
    we withdrew since (« Publiée » when imported) exports as withdrawn, as ours do."""
    stored = str(content.get("etat_fiche") or "")
    withdrawn = entry.statut == RegisterStatus.RETIREE
    if entry.source == SOURCE_IMPORT and stored and etat_says_withdrawn(stored) == withdrawn:
        return stored
    return ETAT_RETIREE if withdrawn else ETAT_PUBLIEE


def _typed_date(tag: str, read: Reader) -> Reader:
    """A date an entry of ours carries only when fiches of its type do (imported: as came)."""

    def value(entry: EntryData, content: dict[str, Any]) -> Any:
        if entry.source != SOURCE_IMPORT:
            kind = str(content.get("type_enregistrement") or SUR_DEMANDE)
            if tag not in DATES_OF_TYPE.get(kind, TYPED_DATES):
                return None
        return read(entry, content)

    return value


def _asked(tag: str) -> Reader:
    """An answer to a question of our form: an entry of ours published before the form asked
    it (its content still has the `validation_partielle` it was given then) has none, and a
    partial validation is never asked. Imported: as it came."""

    def value(entry: EntryData, content: dict[str, Any]) -> Any:
        if entry.source != SOURCE_IMPORT and (
            tag == "VALIDATION_PARTIELLE" or "validation_partielle" in content
        ):
            return None
        return content.get(BY_TAG[tag].key)

    return value


# Elements whose value is not content[spec.key] as it is.
_FROM_ENTRY: dict[str, Reader] = {
    "EXISTENCE_PARTENAIRES": _asked("EXISTENCE_PARTENAIRES"),
    "VALIDATION_PARTIELLE": _asked("VALIDATION_PARTIELLE"),
    "ID_FICHE": _id_fiche,
    "NUMERO_FICHE": lambda entry, _content: entry.numero,
    "INTITULE": lambda entry, _content: entry.intitule,
    "ETAT_FICHE": _etat_fiche,
    "ANCIENNES_CERTIFICATIONS": lambda entry, _content: anciennes_of(entry),
    "NOUVELLES_CERTIFICATIONS": lambda entry, _content: nouvelles_of(entry),
    "CERTIFICATEURS": lambda entry, _content: (entry.certificateurs or {}).get("certificateurs"),
    "DATE_DECISION": _typed_date("DATE_DECISION", lambda e, _c: _date_of(e.date_decision)),
    "DATE_EFFET": _typed_date("DATE_EFFET", lambda e, _c: _date_of(e.debut_validite)),
    "DATE_DE_PUBLICATION": _typed_date(
        "DATE_DE_PUBLICATION", lambda _e, content: content.get("date_de_publication")
    ),
    "DATE_FIN_ENREGISTREMENT": lambda entry, _content: _date_of(entry.fin_validite),
    "ACTIF": lambda entry, _content: entry.statut == RegisterStatus.ACTIVE,
    "DUREE_ENREGISTREMENT": lambda entry, _content: duration_of(entry),
    **{tag: _jury_reader(tag) for tag in BY_TAG if tag.startswith("SI_JURY_")},
    **{spec.tag: _codes_reader(spec.key) for spec in ELEMENTS if spec.key in CODE_KEYS},
}


def _items_xml(
    spec: Element, items: list[Any], escape: Callable[[str], str], kept: list[Any] | None = None
) -> str:
    """A list of groups (FORMACODES/FORMACODE…), with the elements `kept` beside its items;
    "" when it has nothing to write."""
    item_tag = spec.item or ""
    fields = _FIELDS[spec.tag]
    first_key = spec.fields[0].key
    written: list[str] = []
    for item in items:
        values = {first_key: item} if spec.flat else item
        inner = _fields_xml(fields, values, escape) if values.__class__ is dict else ""
        if inner:
            written.append(f"<{item_tag}>{inner}</{item_tag}>")
        elif kept:
            written.append("")  # one place per stored item: the kept elements' ranks count them
    if kept:
        written = _with_kept_items(written, kept)
    if not written:
        return ""
    return f"<{spec.tag}>{''.join(written)}</{spec.tag}>"


def _with_kept_items(written: list[str], kept: list[Any]) -> list[str]:
    """The items (one per stored item, "" for one without a value) with the elements kept
    beside them, each after the number of items it followed; a kept item in its item's place."""
    places = list(written)
    ranked: list[tuple[int, int, int, str]] = []
    for index, item in enumerate(kept):
        element = _raw_element(item)
        if element is None:
            continue
        rank = item.get(RAW_RANK)
        if rank.__class__ is not int or not 0 <= rank <= len(places):
            rank = len(places)  # a place written by hand that does not exist: at the end
        if item.get(RAW_REPLACES) is True and rank < len(places):
            places[rank] = element
        else:
            ranked.append((rank, 0, index, element))
    ranked.extend((index, 1, 0, part) for index, part in enumerate(places))
    ranked.sort(key=lambda place: place[:3])
    return [part for _rank, _kind, _index, part in ranked if part]


# The text of a stored value, by its kind; None for what is absent or not of its kind (never an
# error: an export must not fail on an odd value written by hand). One function per kind: the
# hot loops call it without asking the kind again.
Leaf = Callable[[Any], "str | None"]


def _date_text(value: Any) -> str | None:
    if value.__class__ is str:
        return iso_to_text(value) if value else None
    return format_date(value) if isinstance(value, date) else None


def _bool_text(value: Any) -> str | None:
    return None if value is None or value == "" else format_bool(bool(value))


def _int_text(value: Any) -> str | None:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    return None if text.isspace() else text


_LEAF_TEXT: dict[Kind, Leaf] = {
    Kind.DATE: _date_text,
    Kind.BOOL: _bool_text,
    Kind.INT: _int_text,
    Kind.TEXT: _text,
    Kind.DIGITS: _text,
}


# (key, tag, text of a value, is text, opening tag, closing tag) of each group's fields: the
# hot loop reads tuples.
Fields = tuple[tuple[str, str, "Leaf", bool, str, str], ...]
_FIELDS: dict[str, Fields] = {
    spec.tag: tuple(
        (
            item.key,
            item.tag,
            _LEAF_TEXT[item.kind],
            item.kind is Kind.TEXT,
            f"<{item.tag}>",
            f"</{item.tag}>",
        )
        for item in spec.fields
    )
    for spec in ELEMENTS
}


def _fields_xml(fields: Fields, values: dict[str, Any], escape: Callable[[str], str]) -> str:
    """The children of one group, as text ("" when none has a value)."""
    # The hot loop of an export (partners, certifiers, codes): text takes the short way.
    tags: list[str] = []
    parts: list[str] = []
    get = values.get
    for key, tag, leaf, is_text, opening, closing in fields:
        value = get(key)
        if value is None:
            continue
        if is_text and value.__class__ is str:
            if not value or value.isspace():
                continue
            text: str = value
        else:
            written = leaf(value)
            if written is None:
                continue
            text = written
        tags.append(tag)
        parts.append(opening + escape(text) + closing)
    raw = values.get(RAW_KEY)
    if raw.__class__ is list and raw:
        parts = _with_raw(tags, parts, raw, {field[1]: index for index, field in enumerate(fields)})
    return "".join(parts)


def _date_of(moment: datetime | None) -> date | None:
    return moment_to_date(moment) if moment is not None else None
