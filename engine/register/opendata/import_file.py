"""The file of an import, checked before and while it is read: its size before anything is read,
no DTD in its prolog (engine/core/xml_safety.py: no entities, hence no external entity and no
entity-expansion bomb), lxml without network, DTD loading, entity resolution nor huge-tree mode,
a `FICHES` root, then one valid fiche at a time so memory stays flat (the invalid ones go to the
report)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from engine.core import xml_safety
from engine.core.errors import InventaireError
from engine.register.opendata.import_report import ImportReport, SkippedFiche
from engine.register.opendata.reading import Fiche, FicheInvalid, numero_of, read_fiche

_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


class ImportRefused(InventaireError):
    """The file as a whole is refused (size, DTD, not XML, not an export): nothing imported."""

    http_status = 422


def check_size(source: Path, max_bytes: int) -> None:
    """Before anything is read: the size the file system gives."""
    try:
        size = source.stat().st_size
    except OSError:
        raise ImportRefused(f"Le fichier «\u00a0{source.name}\u00a0» est introuvable.") from None
    if not source.is_file():
        raise ImportRefused(f"«\u00a0{source.name}\u00a0» n'est pas un fichier.")
    if size > max_bytes:
        raise ImportRefused(
            f"Le fichier «\u00a0{source.name}\u00a0» fait {_megabytes(size)}\u00a0: l'import "
            "accepte au plus "
            f"{_megabytes(max_bytes)}. Aucune fiche n'a été importée."
        )


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    text = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
    return f"{text.replace('.', ',')} Mo"


def check_root(stream: BinaryIO, name: str) -> None:
    """The file must declare no DTD, which we see in its prolog before libxml2 reads it (each
    libxml2 version has its own way with entities), and its root must be FICHES."""
    refused = xml_safety.stream_refusal(stream)
    if refused == xml_safety.DTD_REFUSED:
        raise ImportRefused(
            f"Le fichier «\u00a0{name}\u00a0» déclare une DTD (<!DOCTYPE>)\u00a0: les DTD et les "
            "entités XML "
            "sont refusées. Aucune fiche n'a été importée."
        )
    if refused is not None:
        raise ImportRefused(
            f"Le fichier «\u00a0{name}\u00a0» est refusé\u00a0: {refused}. Aucune fiche n'a été "
            "importée."
        )
    events = etree.iterparse(stream, events=("start",), **_PARSER_OPTIONS)
    try:
        _event, root = next(events)
    except StopIteration:
        raise ImportRefused(f"Le fichier «\u00a0{name}\u00a0» est vide.") from None
    if root.tag != "FICHES":
        raise ImportRefused(
            f"Le fichier «\u00a0{name}\u00a0» n'est pas un export des fiches de France "
            "compétences\u00a0: "
            f"l'élément racine est «\u00a0{root.tag}\u00a0», «\u00a0FICHES\u00a0» est attendu."
        )


def valid_fiches(stream: BinaryIO, report: ImportReport) -> Iterator[tuple[int, Fiche]]:
    """Each valid FICHE with its position; invalid ones go to the report. Each element is
    dropped once read, so a large file keeps memory flat."""
    events = etree.iterparse(
        stream, events=("end",), tag=("FICHE", "VERSION_FLUX"), **_PARSER_OPTIONS
    )
    seen: dict[str, int] = {}
    for _event, element in events:
        parent = element.getparent()
        if parent is None or parent.getparent() is not None:
            continue  # not a child of FICHES
        if element.tag == "VERSION_FLUX":
            report.version_flux = (element.text or "").strip() or None
        else:
            report.read += 1
            fiche = _fiche(element, report.read, report, seen)
            if fiche is not None:
                yield report.read, fiche
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del parent[0]


def _fiche(
    element: etree._Element, position: int, report: ImportReport, seen: dict[str, int]
) -> Fiche | None:
    try:
        fiche = read_fiche(element)
    except FicheInvalid as error:
        report.skipped.append(
            SkippedFiche(position, numero_of(element), error.element, error.reason)
        )
        return None
    first = seen.get(fiche.numero)
    if first is not None:
        report.skipped.append(
            SkippedFiche(
                position,
                fiche.numero,
                "NUMERO_FICHE",
                f"ce numéro est déjà celui de la fiche n° {first} du fichier",
            )
        )
        return None
    seen[fiche.numero] = position
    report.kept_elements.update(set(fiche.kept))
    return fiche


def syntax_message(error: etree.XMLSyntaxError) -> str:
    # libxml2's own words (English): the line number is given in French beside them.
    return str(error.msg or error).strip().rstrip(".")
