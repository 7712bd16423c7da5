"""Untrusted XML is refused when it declares a DTD, before libxml2 reads a byte of it.

Every libxml2 version handles DTDs its own way (lxml 6.2 stops an entity bomb with its own
English message), so we look first: the prolog (what comes before the root element) is read
as libxml2 would read it, in the encoding its first bytes or its XML declaration give, and a
markup declaration there (`<!DOCTYPE`, `<!ENTITY`, any case) refuses the document. An
`<!ENTITY` in the part we read refuses it too, whatever our reading of the prolog says.

A refusal is a French phrase that completes « fichier : … »; each caller says it in its own
sentence with the file's name.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

DTD_REFUSED = "les DTD et entités XML sont refusées"
# A real prolog is a few hundred bytes; a longer one could hide a DOCTYPE after it.
PROLOG_BYTES = 64 * 1024

# Byte order marks, UTF-32 before UTF-16 (FF FE 00 00 starts with FF FE).
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# Without a mark, the first bytes of `<?` (or `<`) tell the family (XML 1.0, appendix F).
_FIRST_BYTES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # EBCDIC
)
_DECLARED = re.compile(r"""\sencoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\1""")
_XML_DECLARATION = re.compile(r"<\?xml[ \t\r\n]")
_SPACE = " \t\r\n"
_ENTITY = re.compile(r"<!\s*ENTITY", re.IGNORECASE)


class _Unknown(Exception):
    """The XML declaration names an encoding Python cannot read: the prolog cannot be checked."""


def refusal(data: bytes) -> str | None:
    """Why this document is refused (French), or None when it declares no DTD nor entity."""
    return _verdict(data, complete=True)


def stream_refusal(stream: BinaryIO) -> str | None:
    """`refusal` of a stream, from its current position, reading its prolog only; the stream is
    put back where it was (it must be seekable: a file, an upload)."""
    start = stream.tell()
    head = stream.read(PROLOG_BYTES)
    stream.seek(start)
    return _verdict(head, complete=len(head) < PROLOG_BYTES)


def _verdict(data: bytes, *, complete: bool) -> str | None:
    try:
        readings = _readings(data)
    except _Unknown as unknown:
        return f"encodage «\u00a0{unknown}\u00a0» inconnu, le fichier ne peut pas être vérifié"
    for text in readings:
        if _ENTITY.search(text):
            return DTD_REFUSED
        found = _prolog_end(text)
        if found == "dtd":
            return DTD_REFUSED
        if found is None and not complete:
            return (
                f"plus de {PROLOG_BYTES // 1024} Ko avant l'élément racine, "
                "le fichier ne peut pas être vérifié"
            )
    return None


def _readings(data: bytes) -> list[str]:
    """The text as libxml2 may read it: in the encoding its first bytes give and, when the XML
    declaration names another, with the rest read in that one (libxml2 versions differ on
    which wins, so both are checked)."""
    codec, skip = _detected(data)
    first = data[skip:].decode(codec, errors="replace")
    readings = [first]
    if _XML_DECLARATION.match(first):
        end = first.find("?>")
        match = _DECLARED.search(first, 0, end) if end > 0 else None
        if match is not None:
            declared = match.group(2)
            try:
                same = codecs.lookup(declared).name == codecs.lookup(codec).name
            except LookupError:
                raise _Unknown(declared) from None
            if not same:
                offset = skip + len(first[: end + 2].encode(codec, errors="replace"))
                try:
                    rest = data[offset:].decode(declared, errors="replace")
                except (LookupError, UnicodeError):  # not a text encoding (base64, idna…)
                    raise _Unknown(declared) from None
                readings.append(first[: end + 2] + rest)
    return readings


def _detected(data: bytes) -> tuple[str, int]:
    """The encoding family from the byte order mark or the first bytes, and the mark's length."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    for start, codec in _FIRST_BYTES:
        if data.startswith(start):
            return codec, 0
    return "utf-8", 0  # ASCII-compatible: the markup we look for reads the same


def _prolog_end(text: str) -> str | None:
    """What ends the prolog: "dtd" (a markup declaration), "root" (anything else libxml2 will
    read as the root or refuse), None when the text ends first."""
    index = 0
    while True:
        while index < len(text) and text[index] in _SPACE:
            index += 1
        if index >= len(text):
            return None
        if text.startswith("<!--", index):
            close = text.find("-->", index + 4)
            if close < 0:
                return None
            index = close + 3
        elif text.startswith("<?", index):  # the XML declaration or a processing instruction
            close = text.find("?>", index + 2)
            if close < 0:
                return None
            index = close + 2
        elif text.startswith("<!", index) and text[index + 2 : index + 3].isalpha():
            return "dtd"  # <!DOCTYPE, <!ENTITY, <!ELEMENT… in any case
        else:
            return "root"
