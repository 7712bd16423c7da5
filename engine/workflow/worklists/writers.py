"""The three file formats of an export, each written row by row into a binary file.

- CSV: UTF-8 with a byte order mark and `;` between fields. Excel opens a CSV in the
  computer's legacy code page unless the file starts with the BOM, and a French Excel splits
  fields on `;` (the comma is its decimal separator); LibreOffice and scripts read both.
  Dates as AAAA-MM-JJ HH:MM (Paris), which every tool recognises.
- XLSX: openpyxl's write-only workbook (rows go to a temporary file, not to memory); dates as
  real date cells (Paris time).
- ODS: an OpenDocument spreadsheet written here (a zip: `mimetype` stored first, the manifest,
  content.xml streamed row by row with escaped text): no dependency for a format this simple.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from engine.core.clock import PARIS
from engine.workflow.worklists.exports import Cell

SHEET = "Dossiers"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def _local(value: datetime) -> datetime:
    """A moment as a spreadsheet shows it: Paris wall-clock time, without zone."""
    if value.tzinfo is not None:
        value = value.astimezone(PARIS)
    return value.replace(tzinfo=None, microsecond=0)


def write(kind: str, out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    """Write the file of `kind` (csv, xlsx, ods); the number of rows written."""
    writer = {"csv": write_csv, "xlsx": write_xlsx, "ods": write_ods}[kind]
    return writer(out, header, rows)


def write_csv(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, delimiter=";", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(
            [_local(v).strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in row]
        )
        count += 1
    text.flush()
    text.detach()  # the caller closes `out`
    return count


def write_xlsx(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.append(list(header))
    count = 0
    for row in rows:
        cells: list[object] = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=_local(value))
                cell.number_format = "DD/MM/YYYY HH:MM"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    book.save(out)
    return count


def write_ods(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        # The mimetype first and stored: how a reader recognises an OpenDocument file.
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        archive.writestr("styles.xml", _STYLES)
        with archive.open("content.xml", "w") as content:
            content.write(_CONTENT_HEAD.encode())
            content.write(_ods_row(header).encode())
            for row in rows:
                content.write(_ods_row(row).encode())
                count += 1
            content.write(_CONTENT_TAIL.encode())
    return count


def _ods_row(row: Sequence[Cell]) -> str:
    cells = []
    for value in row:
        if value is None or value == "":
            cells.append("<table:table-cell/>")
        elif isinstance(value, datetime):
            local = _local(value)
            cells.append(
                '<table:table-cell table:style-name="date" office:value-type="date" '
                f'office:date-value="{local.isoformat()}"><text:p>'
                f"{local.strftime('%d/%m/%Y %H:%M')}</text:p></table:table-cell>"
            )
        elif isinstance(value, int) and not isinstance(value, bool):
            cells.append(
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        else:
            text = _xml_text(str(value))
            cells.append(
                f'<table:table-cell office:value-type="string"><text:p>{text}</text:p>'
                "</table:table-cell>"
            )
    return f"<table:table-row>{''.join(cells)}</table:table-row>\n"


def _xml_text(text: str) -> str:
    """Escaped, without the control characters XML 1.0 forbids."""
    kept = "".join(char for char in text if char in "\t\n\r" or ord(char) >= 0x20)
    return escape(kept)


_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"'
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {_NS} '
    'office:version="1.2"><office:styles/></office:document-styles>'
)
_CONTENT_HEAD = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS} '
    'office:version="1.2"><office:automatic-styles>'
    '<number:date-style style:name="jjmmaaaa"><number:day number:style="long"/>'
    '<number:text>/</number:text><number:month number:style="long"/>'
    '<number:text>/</number:text><number:year number:style="long"/>'
    '<number:text> </number:text><number:hours number:style="long"/>'
    '<number:text>:</number:text><number:minutes number:style="long"/></number:date-style>'
    '<style:style style:name="date" style:family="table-cell" '
    'style:data-style-name="jjmmaaaa"/></office:automatic-styles>'
    f"<office:body><office:spreadsheet><table:table table:name={quoteattr(SHEET)}>\n"
)
_CONTENT_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"
