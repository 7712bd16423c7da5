"""The register as open data: France compétences' XML format, and a CSV for spreadsheets.

Both stream the entries in id order, `BATCH` rows at a time (Core rows, never ORM objects that
a request's session would keep), and write as they read: memory stays flat whatever the size
of the register. The caller gives the stream (a file, stdout, a response) and the session; the
export is one read-only transaction, hence one consistent picture of the register.
"""

from __future__ import annotations

import csv
import queue
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO

from sqlalchemy import String, Text, any_, bindparam, cast, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from engine.core.dialect import is_postgresql
from engine.core.models import (
    REGISTER_STATUS_LABELS,
    REGISTRE_LABELS,
    RegisterEntry,
    RegisterStatus,
    Registre,
)
from engine.register.opendata.entry import (
    ENTRY_COLUMNS,
    JSON_COLUMNS,
    EntryData,
    anciennes_of,
    codes_of,
    duration_of,
    jury_of,
    nouvelles_of,
)
from engine.register.opendata.fiche import JURY_LABELS, VERSION_FLUX, moment_to_date
from engine.register.opendata.writing import fiche_xml, xml_bytes
from engine.register.publication import CATEGORY_LABELS

BATCH = 200
XML_HEAD = (
    "<?xml version='1.0' encoding='UTF-8' standalone='no'?>\n<FICHES>\n"
    f"  <VERSION_FLUX>{VERSION_FLUX}</VERSION_FLUX>"
)
CSV_SEPARATOR = ";"
MULTI_SEPARATOR = " | "


_table = RegisterEntry.__table__
_CHAINED = select(_table.c.numero_precedent, _table.c.numero).order_by(_table.c.numero)
# The entries renewing those of a batch, by their numbers: one array on PostgreSQL (a list of
# 200 parameters is parsed again by the driver for each batch), a list on SQLite.
_CHAINED_PG = _CHAINED.where(
    _table.c.numero_precedent == any_(bindparam("numbers", type_=postgresql.ARRAY(String)))
)
_CHAINED_SQLITE = _CHAINED.where(
    _table.c.numero_precedent.in_(bindparam("numbers", expanding=True))
)


def register_entries(session: Session, batch: int | None = None) -> Iterator[EntryData]:
    """Every register entry in id order, with the numbers of the entries that renew it.

    One query streamed `batch` rows at a time (a server-side cursor on PostgreSQL), and for
    each batch one query for the entries chained to it by number. On PostgreSQL the next batch
    is read by a thread while the caller handles this one (`_read_ahead`): the caller must not
    use `session` until it has read them all or closed the iterator."""
    batches = _batches(session, batch or BATCH)
    if is_postgresql(session):
        batches = _read_ahead(batches)
    for entries in batches:
        yield from entries


def _batches(session: Session, batch: int) -> Iterator[list[EntryData]]:
    # The JSON columns as their text, decoded by EntryData: the same decoder, without the
    # result processing around it that cost more than all the rest of the reading.
    columns = [
        cast(_table.c[name], Text) if name in JSON_COLUMNS else _table.c[name]
        for name in ENTRY_COLUMNS
    ]
    chained = _CHAINED_PG if is_postgresql(session) else _CHAINED_SQLITE
    result = session.execute(
        select(*columns).order_by(_table.c.id).execution_options(yield_per=batch)
    )
    try:
        for rows in result.partitions():
            successors: dict[str, list[str]] = defaultdict(list)
            numbers = [row.numero for row in rows]
            for previous, numero in session.execute(chained, {"numbers": numbers}):
                successors[previous].append(numero)
            yield [EntryData.of_text(row, successors.get(row.numero, ())) for row in rows]
    finally:
        result.close()  # the server-side cursor, when the caller stops early


_END = object()


def _read_ahead(batches: Iterator[list[EntryData]]) -> Iterator[list[EntryData]]:
    """`batches`, each read by a thread of its own while the caller handles the one before:
    the server reads, decompresses and sends the next rows (a third of a PostgreSQL export's
    time) while this process writes. One batch waits at most: memory stays flat. (The
    driver waits for the server without holding the interpreter's lock.)"""
    ready: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in batches:
                if not hand(item):
                    return
            hand(_END)
        except BaseException as error:  # raised again in the caller's thread
            hand(error)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="register-export-reader", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join()


def export_xml(session: Session, out: IO[bytes]) -> int:
    """Write the register as `<FICHES><VERSION_FLUX>4.1</VERSION_FLUX><FICHE>…` (UTF-8);
    returns the number of fiches."""
    count = 0
    out.write(XML_HEAD.encode())
    pending: list[EntryData] = []
    for entry in register_entries(session):
        pending.append(entry)
        count += 1
        if len(pending) == BATCH:
            out.write(_fiches(pending))
            pending.clear()
    out.write(_fiches(pending) + b"\n</FICHES>")
    return count


def _fiches(entries: list[EntryData]) -> bytes:
    """Fiches in UTF-8, one a line (indenting each one costs an eighth of the export's time).
    Written with the markup escaped, then checked whole; written again, value by value, when a
    character XML cannot carry is there (fiche_xml)."""
    data = xml_bytes("".join(["\n  " + fiche_xml(entry, checked=False) for entry in entries]))
    if data is None:
        data = "".join(["\n  " + fiche_xml(entry) for entry in entries]).encode()
    return data


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
