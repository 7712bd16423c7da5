"""Where a dossier's pieces are kept on disk (INVENTAIRE_UPLOAD_DIR, outside the web root):
uploaded ones (engine/workflow/documents.py) and generated ones (engine/pdf) alike."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from engine.core.settings import DEFAULT_MAX_PIECE_BYTES


@dataclass(frozen=True)
class DocumentStore:
    """Where pieces live on disk and how big an uploaded one may be."""

    root: Path
    max_bytes: int = DEFAULT_MAX_PIECE_BYTES

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
