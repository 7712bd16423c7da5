"""Where a dossier's pieces are kept on disk (INVENTAIRE_UPLOAD_DIR, outside the web root):
uploaded ones (engine/workflow/documents.py) and generated ones (engine/pdf) alike."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from engine.core.antivirus import Antivirus
from engine.core.quarantine import Incident
from engine.core.settings import DEFAULT_MAX_PIECE_BYTES


@dataclass(frozen=True)
class DocumentStore:
    """Where pieces live on disk, how big an uploaded one may be, and the antivirus every
    upload goes through first (None: none configured)."""

    root: Path
    max_bytes: int = DEFAULT_MAX_PIECE_BYTES
    antivirus: Antivirus | None = None
    # Where the infected uploads' incidents go, for the caller to record once its request is
    # over (engine/core/quarantine.py); None: only the log line and the quarantined file.
    incidents: list[Incident] | None = None

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / key[2:4] / key

    def write(self, content: bytes) -> str:
        """Keep these bytes under a new key, whole or not at all; the key."""
        key = uuid.uuid4().hex
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(content)
        os.replace(temporary, path)
        return key
