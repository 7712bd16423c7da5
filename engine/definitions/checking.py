"""`inventaire processes check`: the deployment verdict on files, one line per problem."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from engine.bpmn import spiff
from engine.core.errors import InventaireError, ProcessModelError
from engine.definitions.definition import build_definition
from engine.definitions.folders import PROCESS_FILE, read_folder, read_model_file
from engine.definitions.validation import validate_definition

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def check_paths(paths: list[Path]) -> list[str]:
    """Problems of each file or process folder (`element-id: reason`); empty when deployable."""
    problems: list[str] = []
    for path in paths:
        problems.extend(check_path(path))
    return problems


def check_path(path: Path) -> list[str]:
    try:
        if not path.exists():
            return [f"{path}: fichier introuvable"]
        if path.is_dir():
            return check_files(read_folder(path))
        if (path.parent / PROCESS_FILE).is_file():
            return check_files(read_folder(path.parent))
        return check_files(_standalone_files(path))
    except ProcessModelError as error:
        return error.problems
    except InventaireError as error:
        return [f"{path.name}: {error.user_message}"]
    except (OSError, UnicodeDecodeError) as error:
        return [f"{path.name}: lecture impossible ({error})"]
    except Exception as error:
        return [f"{path.name}: fichier refusé ({type(error).__name__}\u00a0: {error})"]


def check_files(files: dict[str, str]) -> list[str]:
    form_problems: list[str] = []
    try:
        definition = build_definition(files, form_problems=form_problems)
    except ProcessModelError as error:
        return error.problems
    return form_problems + validate_definition(definition)


def _standalone_files(path: Path) -> dict[str, str]:
    """A lone BPMN file: its lanes' names are taken as role names, forms looked up beside it."""
    text = read_model_file(path)
    files = {path.name: text}
    if path.suffix == ".dmn":
        raise ProcessModelError(
            f"{path.name}: une table de décision se vérifie avec son processus."
        )
    root = spiff.parse_xml(text, path.name)
    process_ids = [
        node.get("id")
        for node in root.iter(f"{{{BPMN_NS}}}process")
        if node.get("isExecutable", "true") != "false"
    ]
    if not process_ids:
        raise ProcessModelError(f"{path.name}: aucun processus exécutable dans ce fichier.")
    lanes = {
        node.get("name") or node.get("id"): {"role": _role_of(node.get("name") or "")}
        for node in root.iter(f"{{{BPMN_NS}}}lane")
    }
    files[PROCESS_FILE] = json.dumps(
        {"key": process_ids[0], "process_id": process_ids[0], "lanes": lanes}
    )
    forms = path.parent / "forms"
    if forms.is_dir():
        for form in sorted(forms.glob("*.json")):
            files[f"forms/{form.name}"] = form.read_text(encoding="utf-8")
    for dmn in sorted(path.parent.glob("*.dmn")):
        files[dmn.name] = read_model_file(dmn)
    return files


def _role_of(lane_name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", lane_name).encode("ascii", "ignore").decode()
    return ascii_name.strip().lower().replace(" ", "_")
