"""Loading a form from its JSON Schema and UI schema texts (a process folder, a stored version)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.core.errors import ProcessModelError
from engine.definitions.forms.spec import FormDefinition
from engine.definitions.rules import ProcessRules


def load_form(folder: Path, schema_filename: str, ui_filename: str | None = None) -> FormDefinition:
    """Read a form's JSON Schema and UI schema from a folder (cached by path and mtime)."""
    schema_path = _inside(folder, schema_filename)
    ui_path = _inside(folder, ui_filename) if ui_filename else None
    return _load_cached(
        str(schema_path),
        _mtime(schema_path),
        str(ui_path) if ui_path else None,
        _mtime(ui_path) if ui_path else None,
    )


def form_name(schema_filename: str) -> str:
    """`forms/saisir_demande.schema.json` → `saisir_demande`."""
    name = Path(schema_filename).name
    for suffix in (".schema.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _inside(folder: Path, filename: str) -> Path:
    path = (folder / filename).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ProcessModelError(
            f"Le fichier de formulaire «\u00a0{filename}\u00a0» est hors du dossier du modèle.",
            path=filename,
        )
    return path


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError as error:
        raise ProcessModelError(
            f"Le fichier de formulaire «\u00a0{path.name}\u00a0» est introuvable.", path=str(path)
        ) from error


@lru_cache(maxsize=256)
def _load_cached(
    schema_path: str, schema_mtime: int, ui_path: str | None, ui_mtime: int | None
) -> FormDefinition:
    return load_form_from_texts(
        Path(schema_path).name,
        _read_text(Path(schema_path)),
        _read_text(Path(ui_path)) if ui_path else None,
        ui_filename=Path(ui_path).name if ui_path else None,
    )


def load_form_from_texts(
    schema_filename: str,
    schema_text: str | bytes | None,
    ui_text: str | bytes | None = None,
    *,
    ui_filename: str | None = None,
    bounds: Mapping[str, int] | None = None,
) -> FormDefinition:
    """A form from the JSON texts of a stored process version (None: the file is missing).

    A field may take its bound from a rule of the process (`"maximumRegle": "duree_max_annees"`):
    `bounds` gives the process's values (the defaults of engine.definitions.rules without)."""
    if schema_text is None:
        raise ProcessModelError(
            f"Le fichier de formulaire «\u00a0{schema_filename}\u00a0» est introuvable.",
            path=schema_filename,
        )
    schema = _parse_json(schema_filename, schema_text)
    ui = _parse_json(ui_filename or "UI schema", ui_text) if ui_text is not None else {}
    _apply_rule_bounds(
        schema_filename, schema, ProcessRules().bounds() if bounds is None else bounds
    )
    return FormDefinition(form_name(schema_filename), schema, ui)


def _apply_rule_bounds(filename: str, schema: dict[str, Any], bounds: Mapping[str, int]) -> None:
    """One value for the process and its forms: the rule's value becomes the field's maximum
    (`maximumRegle`) or minimum (`minimumRegle`)."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        for key, bound in (("maximumRegle", "maximum"), ("minimumRegle", "minimum")):
            if key not in prop:
                continue
            rule = prop[key]
            if rule not in bounds:
                raise ProcessModelError(
                    f"Le formulaire «\u00a0{filename}\u00a0»\u00a0: champ "
                    f"«\u00a0{name}\u00a0»\u00a0: «\u00a0{key}\u00a0» nomme une "
                    f"règle inconnue ({rule!r}\u202f; connues\u00a0: {', '.join(sorted(bounds))}).",
                    path=filename,
                )
            prop[bound] = bounds[rule]


def _read_text(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ProcessModelError(
            f"Le fichier de formulaire «\u00a0{path.name}\u00a0» est introuvable ou illisible.",
            path=str(path),
        ) from error


def _parse_json(filename: str, text: str | bytes) -> dict[str, Any]:
    try:
        content = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except UnicodeDecodeError as error:
        raise ProcessModelError(
            f"Le fichier «\u00a0{filename}\u00a0» n'est pas encodé en UTF-8.", path=filename
        ) from error
    except json.JSONDecodeError as error:
        raise ProcessModelError(
            f"Le fichier «\u00a0{filename}\u00a0» n'est pas un JSON valide "
            f"(ligne {error.lineno}, colonne {error.colno}).",
            path=filename,
        ) from error
    if not isinstance(content, dict):
        raise ProcessModelError(
            f"Le fichier «\u00a0{filename}\u00a0» doit contenir un objet JSON.", path=filename
        )
    return content
