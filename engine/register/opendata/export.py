"""The register as open data: France compétences' XML format, and a CSV for spreadsheets.

Both stream the entries in id order, `BATCH` rows at a time (Core rows, never ORM objects that
a request's session would keep), and write as they read: memory stays flat whatever the size
of the register. The caller gives the stream (a file, stdout, a response) and the session; the
export is one read-only transaction, hence one consistent picture of the register.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import (
    REGISTER_STATUS_LABELS,
    REGISTRE_LABELS,
    RegisterEntry,
    RegisterStatus,
    Registre,
)
from engine.register.opendata.entry import (
    ENTRY_COLUMNS,
    EntryData,
    anciennes_of,
    codes_of,
    duration_of,
    jury_of,
    nouvelles_of,
)
from engine.register.opendata.fiche import JURY_LABELS, VERSION_FLUX, moment_to_date
from engine.register.opendata.writing import fiche_xml
from engine.register.publication import CATEGORY_LABELS

BATCH = 200
XML_HEAD = (
    "<?xml version='1.0' encoding='UTF-8' standalone='no'?>\n<FICHES>\n"
    f"  <VERSION_FLUX>{VERSION_FLUX}</VERSION_FLUX>"
)
CSV_SEPARATOR = ";"
MULTI_SEPARATOR = " | "


def register_entries(session: Session, batch: int | None = None) -> Iterator[EntryData]:
    """Every register entry in id order, with the numbers of the entries that renew it.

    One query streamed `batch` rows at a time (a server-side cursor on PostgreSQL), and for
    each batch one query for the entries chained to it by number."""
    batch = batch or BATCH
    table = RegisterEntry.__table__
    columns = [table.c[name] for name in ENTRY_COLUMNS]
    result = session.execute(
        select(*columns).order_by(table.c.id).execution_options(yield_per=batch)
    )
    for rows in result.partitions():
        successors: dict[str, list[str]] = defaultdict(list)
        chained = select(table.c.numero_precedent, table.c.numero).where(
            table.c.numero_precedent.in_([row.numero for row in rows])
        )
        for previous, numero in session.execute(chained.order_by(table.c.numero)):
            successors[previous].append(numero)
        for row in rows:
            yield EntryData.of(row, successors.get(row.numero, ()))


def export_xml(session: Session, out: IO[bytes]) -> int:
    """Write the register as `<FICHES><VERSION_FLUX>4.1</VERSION_FLUX><FICHE>…` (UTF-8);
    returns the number of fiches."""
    count = 0
    out.write(XML_HEAD.encode())
    pending: list[str] = []
    for entry in register_entries(session):
        # One fiche per line: indenting each one costs an eighth of the export's time.
        pending.append("\n  " + fiche_xml(entry))
        count += 1
        if len(pending) == BATCH:
            out.write("".join(pending).encode())
            pending.clear()
    out.write(("".join(pending) + "\n</FICHES>").encode())
    return count


# --- CSV -------------------------------------------------------------------------------------


def _date(value: object) -> str:
    return moment_to_date(value).isoformat() if isinstance(value, datetime) else ""


def _content(key: str) -> Callable[[EntryData], str]:
    def read(entry: EntryData) -> str:
        value = (entry.content or {}).get(key)
        if isinstance(value, bool):
            return "Oui" if value else "Non"
        return "" if value is None else str(value)

    return read


def _certifiers(key: str) -> Callable[[EntryData], str]:
    def read(entry: EntryData) -> str:
        items = (entry.certificateurs or {}).get("certificateurs")
        if not isinstance(items, list):
            return ""
        return MULTI_SEPARATOR.join(
            str(item.get(key) or "") for item in items if isinstance(item, dict)
        )

    return read


def _codes(key: str) -> Callable[[EntryData], str]:
    def read(entry: EntryData) -> str:
        return MULTI_SEPARATOR.join(item["code"] for item in codes_of(entry.content or {}, key))

    return read


def _ways(entry: EntryData) -> str:
    return MULTI_SEPARATOR.join(
        label for tag, label in JURY_LABELS.items() if (jury_of(entry, tag) or {}).get("actif")
    )


def _statut(entry: EntryData) -> str:
    try:
        return REGISTER_STATUS_LABELS[RegisterStatus(entry.statut)]
    except ValueError:
        return entry.statut


def _registre(entry: EntryData) -> str:
    """*Inventaire* or *Répertoire spécifique*."""
    try:
        return REGISTRE_LABELS[Registre(entry.registre)]
    except ValueError:
        return entry.registre


def _duration(entry: EntryData) -> str:
    years = duration_of(entry)
    return "" if years is None else str(years)


# Header → value; dates in ISO 8601 (AAAA-MM-JJ), several values joined by " | ".
CSV_COLUMNS: tuple[tuple[str, Callable[[EntryData], str]], ...] = (
    ("numero", lambda e: e.numero),
    ("intitule", lambda e: e.intitule),
    ("statut", _statut),
    # The register (inventaire, rs) and its name: an INV and an RS entry are not of one kind.
    ("registre", lambda e: e.registre),
    ("registre_libelle", _registre),
    ("categorie", lambda e: e.categorie),
    ("categorie_libelle", lambda e: CATEGORY_LABELS.get(e.categorie, "")),
    ("autorite_legitime", lambda e: e.autorite_legitime or ""),
    ("certificateurs", _certifiers("nom")),
    ("siret_certificateurs", _certifiers("siret")),
    ("date_decision", lambda e: _date(e.date_decision)),
    ("date_effet", lambda e: _date(e.debut_validite)),
    ("date_fin_enregistrement", lambda e: _date(e.fin_validite)),
    ("duree_enregistrement", _duration),
    ("type_enregistrement", _content("type_enregistrement")),
    ("anciennes_certifications", lambda e: MULTI_SEPARATOR.join(anciennes_of(e))),
    ("nouvelles_certifications", lambda e: MULTI_SEPARATOR.join(nouvelles_of(e))),
    ("formacodes", _codes("formacodes")),
    ("codes_nsf", _codes("codes_nsf")),
    ("codes_rome", _codes("codes_rome")),
    ("voies_acces", _ways),
    ("objectifs_contexte", _content("objectifs_contexte")),
    ("competences_attestees", _content("competences_attestees")),
    ("modalites_evaluation", _content("modalites_evaluation")),
    ("prerequis", _content("prerequis")),
    ("public_vise", _content("public_vise")),
    ("lien_url_description", _content("lien_url_description")),
    ("source", lambda e: e.source),
)


def export_csv(session: Session, out: IO[str]) -> int:
    """Write the register as CSV (`;`, a header row, one row per entry); returns the rows."""
    writer = csv.writer(out, delimiter=CSV_SEPARATOR, lineterminator="\n")
    writer.writerow([header for header, _read in CSV_COLUMNS])
    count = 0
    for entry in register_entries(session):
        writer.writerow([_cell(read(entry)) for _header, read in CSV_COLUMNS])
        count += 1
    return count


FORMULA_STARTS = frozenset("=+-@")


def _cell(text: str) -> str:
    """A spreadsheet runs a cell whose first visible character is = + - @ as a formula (some
    skip blanks and control characters first), and one starting with a tab or a line break may
    be read as one: such a cell starts with an apostrophe, as spreadsheets themselves do to keep
    text as text. A carriage return becomes a line feed: the writer quotes a cell holding a line
    feed, not one holding a lone carriage return, which readers take for the end of the row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text[:1] in ("\t", "\n") or _first_visible(text) in FORMULA_STARTS:
        return "'" + text
    return text


def _first_visible(text: str) -> str:
    for char in text:
        if not (char.isspace() or unicodedata.category(char) in ("Cc", "Cf")):
            return char
    return ""
