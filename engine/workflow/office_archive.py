"""A bounded look inside an uploaded ODT or DOCX (a zip archive): never inflate more than the
check needs, refuse what no office suite writes (zip bombs, thousands of members).

The central directory's sizes are read to refuse a bomb before anything is inflated, but they
are not trusted: every member is read a few kilobytes at most.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from engine.core.errors import DocumentRefused
from engine.core.typography import number

ODT_TYPE = b"application/vnd.oasis.opendocument.text"
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

MAX_MEMBERS = 5000
# The central directory of MAX_MEMBERS members with long names: parsing more would cost memory.
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024
# What the members may inflate to in all: a reviewer opens the piece in an office suite.
MAX_INFLATED_BYTES = 256 * 1024 * 1024
# Text compresses 5 to 20 times, rarely 50; deflate's ceiling is about 1,030. A member whose
# declared size is past MAX_PLAIN_MEMBER must not inflate more than MAX_RATIO times.
MAX_RATIO = 100
MAX_PLAIN_MEMBER = 1024 * 1024
# Read from a member: the ODT mimetype is 39 bytes, [Content_Types].xml a few kilobytes.
MIMETYPE_READ = 256
CONTENT_TYPES_READ = 256 * 1024

_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = b"PK\x06\x07"
_READABLE = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_OVERRIDE = re.compile(rb"<Override\b[^>]*>")
_ATTRIBUTE = re.compile(rb"""\b(PartName|ContentType)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def detect(name: str, suffix: str, content: bytes) -> bool:
    """Whether `content` is an ODT (suffix .odt) or a DOCX (.docx); DocumentRefused when the
    archive is abnormal (too many members, too much inflated data)."""
    _check_directory(name, content)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            _check_members(name, members)
            if any(not _readable(member) for member in members):
                return False
            names = {member.filename for member in members}
            if suffix == ".odt":
                return _is_odt(archive, names)
            return _is_docx(archive, names)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError):
        return False
    except (zlib.error, struct.error, ValueError, RuntimeError, NotImplementedError):
        # Odd headers or data (corrupt deflate stream, an unknown method, encryption).
        return False


def _check_directory(name: str, content: bytes) -> None:
    """Refuse before parsing a central directory too big for a document (zipfile reads it
    whole); located as zipfile locates it: the last end-of-directory record."""
    tail_start = max(0, len(content) - _END_OF_DIRECTORY.size - 0xFFFF)
    position = content.rfind(b"PK\x05\x06", tail_start)
    if position < 0 or position + _END_OF_DIRECTORY.size > len(content):
        return  # not a zip: zipfile says so
    record = _END_OF_DIRECTORY.unpack_from(content, position)
    entries, directory_size = record[4], record[5]
    zip64 = position >= 20 and content[position - 20 : position - 16] == _ZIP64_LOCATOR
    if zip64 or entries > MAX_MEMBERS or directory_size > MAX_DIRECTORY_BYTES:
        raise _too_many(name)


def _check_members(name: str, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise _too_many(name)
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > MAX_PLAIN_MEMBER and (
            member.file_size > MAX_RATIO * max(member.compress_size, 1)
        ):
            raise _bomb(name)
    if total > MAX_INFLATED_BYTES:
        raise _bomb(name)


def _readable(member: zipfile.ZipInfo) -> bool:
    # Deflate is the only method zipfile inflates a few bytes at a time; no suite encrypts
    # members at the zip level (an encrypted ODT encrypts its content inside).
    return member.compress_type in _READABLE and not member.flag_bits & 0x1


def _read_start(archive: zipfile.ZipFile, member: str, size: int) -> bytes:
    with archive.open(member) as stream:
        return stream.read(size)


def _is_odt(archive: zipfile.ZipFile, names: set[str]) -> bool:
    if "mimetype" not in names:
        return False
    return _read_start(archive, "mimetype", MIMETYPE_READ).strip() == ODT_TYPE


def _is_docx(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """[Content_Types].xml names the main part of a Word document, and that part exists."""
    if "[Content_Types].xml" not in names:
        return False
    types = _read_start(archive, "[Content_Types].xml", CONTENT_TYPES_READ)
    for element in _OVERRIDE.findall(types):
        attributes = {key: first or second for key, first, second in _ATTRIBUTE.findall(element)}
        if attributes.get(b"ContentType", b"").strip() != DOCX_MAIN:
            continue
        part = attributes.get(b"PartName", b"").decode("utf-8", "replace").lstrip("/")
        if part in names:
            return True
    return False


def _too_many(name: str) -> DocumentRefused:
    count = number(MAX_MEMBERS)
    return DocumentRefused(
        f"Le fichier «\u00a0{name}\u00a0» est une archive de plus de {count} éléments\u00a0: il "
        "est refusé."
    )


def _bomb(name: str) -> DocumentRefused:
    return DocumentRefused(
        f"Le fichier «\u00a0{name}\u00a0» est une archive anormalement compressée\u00a0: il est "
        "refusé."
    )
