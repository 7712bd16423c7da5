"""A process model's files: read from its folder (every BPMN and DMN file checked on its bytes
first), hashed, and its main diagram."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from engine.core import xml_safety
from engine.core.errors import ProcessModelError

PROCESS_FILE = "process.json"
MODEL_SUFFIXES = (".bpmn", ".dmn", ".json")


def read_folder(folder: Path) -> dict[str, str]:
    """The model's files as {relative path: text}, in a stable order."""
    if not (folder / PROCESS_FILE).is_file():
        raise ProcessModelError(f"{folder}\u00a0: fichier {PROCESS_FILE} introuvable.")
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if (
            path.is_file()
            and path.suffix in MODEL_SUFFIXES
            and not relative.startswith("scenarios/")
        ):
            files[relative] = read_model_file(path)
    return files


def read_model_file(path: Path) -> str:
    """A model file's text (UTF-8); a BPMN or DMN file is checked on its bytes first, so one
    that declares a DTD is refused as such whatever its encoding."""
    if path.suffix in (".bpmn", ".dmn"):
        refused = xml_safety.refusal(path.read_bytes())
        if refused is not None:
            raise ProcessModelError(f"{path.name}: {refused}.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        byte = error.object[error.start : error.start + 1].hex()
        raise ProcessModelError(
            f"{path.name}: le fichier n'est pas un texte UTF-8 (octet 0x{byte} à la position "
            f"{error.start})\u202f; enregistrez-le en UTF-8 depuis le modeleur ou l'éditeur."
        ) from None


def content_hash(files: dict[str, str]) -> str:
    """A digest of the files' names and texts: the same model gives the same hash."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()


def main_diagram(files: dict[str, str]) -> str:
    """The model's main BPMN file: the one named after its process, else the first one."""
    diagrams = sorted(name for name in files if name.endswith(".bpmn"))
    try:
        config = json.loads(files.get(PROCESS_FILE, "{}"))
        process_id = str(config.get("process_id") or config.get("key") or "")
    except (json.JSONDecodeError, AttributeError):
        process_id = ""
    for name in diagrams:
        if f'id="{process_id}"' in files[name]:
            return name
    return diagrams[0] if diagrams else f"{process_id or 'processus'}.bpmn"
