"""Reading one `<FICHE>` of France compétences' open-data export (fiche.py says where each
element goes): `read_fiche` turns it into the values of a register entry, refusing what is not
valid (`FicheInvalid` names the element and says why, in French). An empty element counts as
absent. An element we do not model is kept as it came, with the element it followed
(fiche.RAW_KEY), so that writing the fiche gives it back: nothing a fiche holds is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from engine.register.opendata.fiche import (
    BY_TAG,
    ELEMENTS,
    RAW_AFTER,
    RAW_IN,
    RAW_KEY,
    RAW_RANK,
    RAW_REPLACES,
    RAW_XML,
    Element,
    Field,
    Kind,
    Store,
    ValueInvalid,
    date_to_moment,
    parse_bool,
    parse_date,
    parse_digits,
    parse_int,
)

NUMERO_MAX = 20  # register_entry.numero
INTITULE_MAX = 500  # register_entry.intitule
_NUMERO = re.compile(rf"[A-Za-z0-9_-]{{1,{NUMERO_MAX}}}")


class FicheInvalid(Exception):
    """A fiche that cannot be imported: `element` is the path of the element at fault."""

    def __init__(self, element: str, reason: str) -> None:
        super().__init__(f"{element}\u00a0: {reason}")
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
    kept: tuple[str, ...] = ()  # paths of the elements kept as they came (not modelled)

    @property
    def anciennes(self) -> list[str]:
        return list(self.content.get("anciennes_certifications", []))

    @property
    def nouvelles(self) -> list[str]:
        return list(self.content.get("nouvelles_certifications", []))


def numero_of(element: etree._Element) -> str | None:
    """The NUMERO_FICHE of a fiche, even an invalid one (to name it in a report)."""
    text = (element.findtext("NUMERO_FICHE") or "").strip()
    return text[: NUMERO_MAX * 2] or None


def read_fiche(element: etree._Element) -> Fiche:
    """The values of a `<FICHE>`; raises FicheInvalid on the first element at fault."""
    values: dict[str, Any] = {}
    kept: list[str] = []
    raw: list[dict[str, Any]] = []
    after = ""
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        spec = BY_TAG.get(child.tag)
        if spec is None:
            raw.append(_raw(child, after))
            kept.append(child.tag)
            continue
        after = spec.tag
        if spec.tag in values:
            raise FicheInvalid(spec.tag, "l'élément apparaît plusieurs fois dans la fiche")
        value = _read_element(spec, child, raw, kept)
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
    if raw:
        content[RAW_KEY] = raw
    return Fiche(
        numero=numero,
        intitule=intitule,
        certificateurs=values.get("CERTIFICATEURS", []),
        date_decision=_moment(values.get("DATE_DECISION")),
        debut_validite=_moment(values.get("DATE_EFFET")),
        fin_validite=_moment(values.get("DATE_FIN_ENREGISTREMENT")),
        actif=values.get("ACTIF"),
        content=content,
        kept=tuple(kept),
    )


def _read_element(
    spec: Element, element: etree._Element, raw: list[dict[str, Any]], kept: list[str]
) -> Any:
    """The value of a child of FICHE; what a list holds beside its items goes to `raw`."""
    if spec.is_leaf:
        if _has_children(element):
            raise FicheInvalid(spec.tag, "une valeur simple est attendue, pas des sous-éléments")
        return _leaf(spec.tag, spec.kind, element.text)
    if spec.item is None:
        return _group(spec.tag, spec.fields, element, kept) or None
    items: list[Any] = []
    after = ""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag != spec.item:
            # Beside the items: kept with its place among them.
            raw.append(_raw(child, after) | {RAW_IN: spec.tag, RAW_RANK: len(items)})
            kept.append(f"{spec.tag}/{child.tag}")
            continue
        after = spec.item
        path = f"{spec.tag}/{spec.item}"
        group = _group(path, spec.fields, child, kept)
        if not spec.flat:
            if group:
                items.append(group)
            continue
        value = group.get(spec.fields[0].key)
        if RAW_KEY in group:
            # A list of values cannot hold what the item has beside its value: the item is kept
            # whole, written back instead of the value's own item.
            place = {RAW_IN: spec.tag, RAW_RANK: len(items), RAW_REPLACES: value is not None}
            raw.append(_raw(child, after) | place)
        if value is not None:
            items.append(value)
    return items or None


def _group(
    path: str, fields: tuple[Field, ...], element: etree._Element, kept: list[str]
) -> dict[str, Any]:
    by_tag = {item.tag: item for item in fields}
    group: dict[str, Any] = {}
    raw: list[dict[str, Any]] = []
    after = ""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        item = by_tag.get(child.tag)
        if item is None:
            raw.append(_raw(child, after))
            kept.append(f"{path}/{child.tag}")
            continue
        after = item.tag
        child_path = f"{path}/{child.tag}"
        if item.key in group:
            raise FicheInvalid(child_path, "l'élément apparaît plusieurs fois dans son groupe")
        if _has_children(child):
            raise FicheInvalid(child_path, "une valeur simple est attendue, pas des sous-éléments")
        value = _leaf(child_path, item.kind, child.text)
        if value is not None:
            group[item.key] = value
    if raw:
        group[RAW_KEY] = raw
    return group


def _raw(element: etree._Element, after: str) -> dict[str, Any]:
    """An element we do not model, as it came, and the modelled element it followed."""
    xml = etree.tostring(element, encoding="unicode", with_tail=False)
    return {RAW_AFTER: after, RAW_XML: xml}


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
            f"«\u00a0{text[:40]}\u00a0» n'est pas un numéro de fiche (lettres et chiffres, "
            f"{NUMERO_MAX} caractères au plus)",
        )
    return text


def _moment(iso: str | None) -> datetime | None:
    return date_to_moment(date.fromisoformat(iso)) if iso else None
