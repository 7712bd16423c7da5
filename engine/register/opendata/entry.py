"""A register entry as an export reads it (`EntryData`, from an ORM object or a Core row), and
the values an export shows that are not a column as it is: the renewal chain, the duration, the
juries, the codes (the XML and the CSV alike)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from engine.core.models import Registre
from engine.register.opendata.fiche import JURY_OF_WAY, moment_to_date

SOURCE_IMPORT = "import"  # register_entry.source of the fiches imported from an export
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
    "registre",
)
JSON_COLUMNS = ("certificateurs", "content")
JSON_INDEXES = tuple(ENTRY_COLUMNS.index(name) for name in JSON_COLUMNS)


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
    registre: str = Registre.INVENTAIRE
    successors: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, row: Any, successors: Sequence[str] = ()) -> EntryData:
        values = {name: getattr(row, name) for name in ENTRY_COLUMNS}
        for name in JSON_COLUMNS:  # JSON written by hand may be anything
            if not isinstance(values[name], dict):
                values[name] = {}
        return cls(**values, successors=tuple(successors))

    @classmethod
    def of_text(cls, row: Sequence[Any], successors: Sequence[str] = ()) -> EntryData:
        """From the values of ENTRY_COLUMNS in order, the JSON columns as their text."""
        values: list[Any] = list(row)
        for index in JSON_INDEXES:
            values[index] = _mapping(values[index])
        values.append(tuple(successors))
        return cls(*values)


def _mapping(text: str | None) -> dict[str, Any]:
    value = orjson.loads(text) if text is not None else None
    return value if isinstance(value, dict) else {}


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
