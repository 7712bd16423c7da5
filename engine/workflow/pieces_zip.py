"""A dossier's pieces as one ZIP: exactly those its reader may download (`access.may_see_piece`,
through `documents.readable_pieces`), streamed as it is written, under safe and distinct names."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.clock import PARIS
from engine.core.errors import NotFound
from engine.core.models import Instance
from engine.core.pieces import DocumentStore
from engine.workflow import documents
from engine.workflow.lookup import get_instance

CHUNK = 64 * 1024
# Characters no file system takes in a name, and controls: replaced.
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
# Names Windows keeps for devices, whatever their extension.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)
MAX_NAME = 150


@dataclass(frozen=True)
class ArchiveEntry:
    name: str
    path: Path
    at: datetime


def archive_name(instance: Instance) -> str:
    return f"pieces-{safe_name(instance.reference or f'dossier-{instance.id}')}.zip"


def archive_entries(
    session: Session, store: DocumentStore, actor: Actor, instance_id: int
) -> tuple[Instance, list[ArchiveEntry]]:
    """The dossier (NotFound when hidden from the actor) and the files of its ZIP, read before
    anything is sent: a piece whose file is missing is refused now, not halfway."""
    instance = get_instance(session, actor, instance_id)
    entries: list[ArchiveEntry] = []
    taken: set[str] = set()
    for document in documents.readable_pieces(session, actor, instance):
        path = store.path_for(document.storage_key)
        if not path.is_file():
            raise NotFound(f"Le fichier de la pièce «\u00a0{document.name}\u00a0» est introuvable.")
        entries.append(
            ArchiveEntry(_distinct(safe_name(document.name), taken), path, document.uploaded_at)
        )
    return instance, entries


def safe_name(name: str) -> str:
    """A name every system unpacks as one file in the archive's folder: no folder, no
    control character, no leading dot, no device name, not too long."""
    text = unicodedata.normalize("NFC", PurePosixPath(name.replace("\\", "/")).name)
    text = _FORBIDDEN.sub("_", text).strip(" .") or "piece"
    stem, dot, suffix = text.rpartition(".")
    if not dot:
        stem, suffix = text, ""
    if stem.lower() in _RESERVED:
        stem = f"_{stem}"
    suffix = f".{suffix[:10]}" if suffix else ""
    return stem[: MAX_NAME - len(suffix)] + suffix


def _distinct(name: str, taken: set[str]) -> str:
    """`nom.pdf`, then `nom (2).pdf`… (case-insensitive, as most systems compare)."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, count = name, 1
    while candidate.casefold() in taken:
        count += 1
        candidate = f"{stem} ({count})" + (f".{suffix}" if suffix else "")
    taken.add(candidate.casefold())
    return candidate


class _Sink:
    """What the ZIP writer writes, handed on as it comes (a stream that cannot seek: the
    writer then puts each file's sizes after it)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        if self._parts:
            yield b"".join(self._parts)
            self._parts.clear()


def stream_zip(entries: list[ArchiveEntry]) -> Iterator[bytes]:
    """The ZIP's bytes, a chunk at a time (stored: PDFs, ODT and DOCX are compressed already)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for entry in entries:
            moment = entry.at.astimezone(PARIS)
            info = zipfile.ZipInfo(entry.name, date_time=moment.timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, "w") as target, entry.path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
