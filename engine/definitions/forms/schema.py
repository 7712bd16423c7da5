"""Forms of user tasks: a JSON Schema (draft 2020-12 subset) plus a UI schema.

The schema is the contract (types, required fields, conditions); the UI schema says how to show
it (pages, widgets, hints). This module reads both, checks them once, turns HTML-form strings into
typed values and validates them with French messages. It knows nothing about HTML or Flask: the
web layer builds its view models from `FormDefinition.fields` and `FormDefinition.pages`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from engine.core.errors import NotFound, ProcessModelError
from engine.core.formats import EMAIL

MAX_STRING_LENGTH = 20_000
MAX_ARRAY_ITEMS = 200
MAX_RADIO_CHOICES = 5
DEFAULT_SUBMIT_LABEL = "Valider"
DEFAULT_TEXTAREA_ROWS = 5
IMPLICIT_PAGE_ID = "formulaire"
STORAGE_PROCESS = "process"
STORAGE_DOSSIER = "dossier"

WIDGETS = frozenset(
    {
        "text",
        "textarea",
        "radio",
        "select",
        "checkbox",
        "checkboxes",
        "date",
        "file",
        "files",
        "user",
        "hidden",
    }
)
FILE_WIDGETS = frozenset({"file", "files"})
SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})
# Keys the web layer adds to every form (CSRF token, button names, "_retirer_x" checkboxes).
IGNORED_KEY = re.compile(r"^(_|csrf_token$)")
PAGE_ID = re.compile(r"^[A-Za-z0-9_-]+$")

TRUE_WORDS = frozenset({"true", "on", "oui", "1"})
FALSE_WORDS = frozenset({"false", "non", "0", ""})
INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
NUMBER_TEXT = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SPACES = re.compile(r"[\s\u00a0\u202f]+")

MSG_INTEGER = "Saisissez un nombre entier."
MSG_NUMBER = "Saisissez un nombre."
MSG_INVALID = "Valeur invalide."
MSG_CHOICE = "Choisissez une valeur de la liste."
MSG_PATTERN = "Le format n'est pas valide."
MSG_EMAIL = "Saisissez une adresse électronique valide (ex. nom@domaine.fr)."
MSG_DATE = "Saisissez une date valide (JJ/MM/AAAA)."
MSG_DUPLICATE = "Une même valeur figure plusieurs fois."

# When a field has several errors, the most basic one is shown first.
ERROR_RANK = {
    keyword: rank
    for rank, keyword in enumerate(
        ["type", "const", "enum", "oneOf", "anyOf", "format", "maxLength", "minLength", "pattern"]
    )
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form, as the schema and the UI schema describe it."""

    name: str
    title: str
    json_type: str
    widget: str
    hint: str | None = None
    required: bool = False  # listed in "required", or a box that must be ticked (const true)
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    min_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    format: str | None = None
    rows: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    visible_if: Mapping[str, tuple[str, ...]] | None = field(default=None, hash=False)
    storage: str = STORAGE_PROCESS
    multiple: bool = False
    default: Any = field(default=None, hash=False)

    @property
    def is_date(self) -> bool:
        return self.format == "date" or self.widget == "date"

    @property
    def is_file(self) -> bool:
        return self.widget in FILE_WIDGETS

    @property
    def role(self) -> str | None:
        """The role listed by a `user` widget."""
        role = self.options.get("role")
        return str(role) if role is not None else None


@dataclass(frozen=True)
class FormPage:
    """One page of a multi-page form (a single-page form has one implicit page)."""

    id: str
    title: str
    fields: tuple[str, ...]


def choice_value(value: Any) -> str:
    """How a typed value is written in an HTML form (choices, visibility conditions)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


class FormDefinition:
    """A checked form: its fields, pages and compiled validator."""

    def __init__(
        self, name: str, schema: Mapping[str, Any], ui: Mapping[str, Any] | None = None
    ) -> None:
        self.name = name
        self.schema: dict[str, Any] = copy.deepcopy(dict(schema))
        self.ui: dict[str, Any] = copy.deepcopy(dict(ui or {}))
        problems = _schema_problems(self.schema)
        _raise_if_any(name, problems)
        self.schema["additionalProperties"] = False
        self.title = str(self.schema.get("title") or name)
        self.description: str | None = self.schema.get("description") or None
        specs = _build_fields(self.schema, self.ui, problems)
        self.pages = _build_pages(self.ui, self.title, specs, problems)
        _raise_if_any(name, problems)
        self.fields: tuple[FieldSpec, ...] = tuple(
            specs[field_name] for page in self.pages for field_name in page.fields
        )
        self._by_name = {spec.name: spec for spec in self.fields}
        self.submit_label = _submit_label(self.ui)
        self.validator = Draft202012Validator(
            _labelled_choices_as_enums(self.schema), format_checker=FORMAT_CHECKER
        )
        self._conditions = _compile_conditions(self.schema)

    def __repr__(self) -> str:
        return f"FormDefinition({self.name!r}, fields={[f.name for f in self.fields]!r})"

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get_field(self, name: str) -> FieldSpec:
        """The field of that name (KeyError when the form has none)."""
        return self._by_name[name]

    def get_page(self, page_id: str | None) -> FormPage:
        """The page of that id; the first page when `page_id` is None."""
        if page_id is None:
            return self.pages[0]
        for page in self.pages:
            if page.id == page_id:
                return page
        raise NotFound("Cette page du formulaire n'existe pas.", form=self.name, page=page_id)

    def page_of(self, name: str) -> FormPage:
        """The page that shows a field."""
        for page in self.pages:
            if name in page.fields:
                return page
        raise KeyError(name)

    def process_fields(self) -> list[str]:
        """Fields that go into the process variables (not `ui:storage: dossier`)."""
        return [f.name for f in self.fields if f.storage != STORAGE_DOSSIER]

    def file_fields(self) -> list[str]:
        """Fields holding uploaded documents (`file` and `files` widgets)."""
        return [f.name for f in self.fields if f.is_file]

    def user_fields(self) -> dict[str, str]:
        """Fields holding a user id (`user` widget), with the role they list."""
        return {f.name: f.role or "" for f in self.fields if f.widget == "user"}

    def required_fields(self, data: Mapping[str, Any]) -> set[str]:
        """Fields required given `data`: static ones plus those of satisfied if/then."""
        names = {f.name for f in self.fields if f.required}
        for condition in self._conditions:
            names |= condition.required(data)
        return names


@dataclass(frozen=True)
class _Condition:
    """An `if`/`then`/`else` (or `dependentRequired`) of the schema, reduced to what it requires."""

    test: Draft202012Validator | None
    then_required: frozenset[str]
    else_required: frozenset[str] = frozenset()
    trigger: str | None = None

    def required(self, data: Mapping[str, Any]) -> frozenset[str]:
        if self.trigger is not None:
            return self.then_required if self.trigger in data else frozenset()
        if self.test is None:
            return frozenset()
        return self.then_required if self.test.is_valid(data) else self.else_required


def _labelled_choices_as_enums(node: Any) -> Any:
    """The schema to validate with: `oneOf` lists of `{"const", "title"}` (labelled choices)
    become the equivalent `enum`. Same verdicts and messages (both map to MSG_CHOICE), but
    jsonschema checks one list instead of every alternative: 1.0 → 0.35 ms for the examen."""
    if isinstance(node, list):
        return [_labelled_choices_as_enums(item) for item in node]
    if not isinstance(node, dict):
        return node
    choices = node.get("oneOf")
    if (
        isinstance(choices, list)
        and choices
        and "enum" not in node
        and all(
            isinstance(choice, dict) and "const" in choice and set(choice) <= {"const", "title"}
            for choice in choices
        )
    ):
        node = {key: value for key, value in node.items() if key != "oneOf"}
        node["enum"] = [choice["const"] for choice in choices]
    return {key: _labelled_choices_as_enums(value) for key, value in node.items()}


def _compile_conditions(schema: Mapping[str, Any]) -> list[_Condition]:
    conditions = []
    for part in [schema, *schema.get("allOf", [])]:
        if not isinstance(part, Mapping):
            continue
        if isinstance(part.get("if"), (Mapping, bool)):
            conditions.append(
                _Condition(
                    test=Draft202012Validator(part["if"]),
                    then_required=_required_of(part.get("then")),
                    else_required=_required_of(part.get("else")),
                )
            )
        for trigger, names in (part.get("dependentRequired") or {}).items():
            conditions.append(_Condition(None, frozenset(names), trigger=trigger))
    return conditions


def _required_of(branch: Any) -> frozenset[str]:
    if not isinstance(branch, Mapping):
        return frozenset()
    return frozenset(str(name) for name in branch.get("required", []))


def _is_email(instance: object) -> bool:
    return not isinstance(instance, str) or bool(EMAIL.fullmatch(instance))


FORMAT_CHECKER = FormatChecker()
# jsonschema only looks for an "@"; we want at least a domain with a dot.
FORMAT_CHECKER.checks("email")(_is_email)


# --- Checking a form definition ------------------------------------------------------------


def _raise_if_any(name: str, problems: list[str]) -> None:
    if not problems:
        return
    message = f"Le formulaire « {name} » n'est pas valide : {problems[0]}"
    if len(problems) > 1:
        message += f" (et {_count(len(problems) - 1, 'autre problème', 'autres problèmes')})"
    raise ProcessModelError(message, problems=list(problems), form=name)


def _schema_problems(schema: Mapping[str, Any]) -> list[str]:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "racine"
        return [f"le schéma JSON est invalide ({where} : {error.message})."]
    problems = []
    if schema.get("type") != "object":
        problems.append("le schéma doit être de type « object ».")
    if not isinstance(schema.get("properties"), Mapping):
        problems.append("le schéma doit déclarer ses champs dans « properties ».")
    if schema.get("additionalProperties", False) is not False:
        problems.append("« additionalProperties » doit valoir false.")
    problems.extend(
        f"la référence « {ref} » n'est pas locale (seules les références #/… sont permises)."
        for ref in _references(schema)
        if not ref.startswith("#")
    )
    return problems


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _build_fields(
    schema: Mapping[str, Any], ui: Mapping[str, Any], problems: list[str]
) -> dict[str, FieldSpec]:
    properties: Mapping[str, Any] = schema["properties"]
    required = set(schema.get("required", []))
    problems.extend(
        f"le champ obligatoire « {name} » n'est pas déclaré dans « properties »."
        for name in sorted(required - set(properties))
    )
    problems.extend(
        f"l'UI schema décrit « {key} », qui n'est pas un champ du formulaire."
        for key in ui
        if not key.startswith("ui:") and key not in properties
    )
    specs = {}
    for name, prop in properties.items():
        ui_field = ui.get(name) or {}
        if not isinstance(prop, Mapping) or not isinstance(ui_field, Mapping):
            problems.append(f"champ « {name} » : sa description doit être un objet JSON.")
            continue
        spec = _build_field(name, prop, ui_field, name in required, problems)
        if spec is not None:
            specs[name] = spec
    _check_visibility(specs, problems)
    return specs


def _build_field(
    name: str,
    prop: Mapping[str, Any],
    ui_field: Mapping[str, Any],
    required: bool,
    problems: list[str],
) -> FieldSpec | None:
    json_type = prop.get("type")
    if not isinstance(json_type, str) or json_type not in SCALAR_TYPES | {"array"}:
        problems.append(
            f"champ « {name} » : le type {json.dumps(json_type)} n'est pas pris en charge."
        )
        return None
    source = prop
    if json_type == "array":
        items = prop.get("items")
        if not isinstance(items, Mapping) or items.get("type", "string") != "string":
            problems.append(f"champ « {name} » : une liste doit contenir des textes (items).")
            return None
        source = items
    choices = _choices(json_type, source, ui_field)
    widget = _widget(json_type, prop, ui_field, choices)
    options = ui_field.get("ui:options") or {}
    storage = ui_field.get("ui:storage", STORAGE_PROCESS)
    spec = FieldSpec(
        name=name,
        title=str(ui_field.get("ui:title") or prop.get("title") or name),
        json_type=json_type,
        widget=widget,
        hint=ui_field.get("ui:help") or prop.get("description") or None,
        required=required or _must_tick(prop),
        choices=choices,
        max_length=prop.get("maxLength"),
        min_length=prop.get("minLength"),
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        pattern=prop.get("pattern"),
        format=prop.get("format") or source.get("format"),
        rows=_rows(widget, options),
        options=dict(options) if isinstance(options, Mapping) else {},
        visible_if=_visible_if(name, ui_field.get("ui:visibleIf"), problems),
        storage=storage,
        multiple=json_type == "array",
        default=prop.get("default"),
    )
    problems.extend(_field_problems(spec, options, storage))
    return spec


def _must_tick(prop: Mapping[str, Any]) -> bool:
    """A box to tick (an attestation): `"const": true` or `"enum": [true]`."""
    return prop.get("type") == "boolean" and (
        prop.get("const") is True or prop.get("enum") == [True]
    )


def _choices(
    json_type: str, source: Mapping[str, Any], ui_field: Mapping[str, Any]
) -> tuple[tuple[str, str], ...]:
    if isinstance(source.get("oneOf"), list):
        return tuple(
            (choice_value(item.get("const")), str(item.get("title") or item.get("const")))
            for item in source["oneOf"]
            if isinstance(item, Mapping) and "const" in item
        )
    if isinstance(source.get("enum"), list):
        names = ui_field.get("ui:enumNames") or []
        values = source["enum"]
        labels = [names[i] if i < len(names) else choice_value(v) for i, v in enumerate(values)]
        return tuple((choice_value(v), str(label)) for v, label in zip(values, labels, strict=True))
    if json_type == "boolean" and ui_field.get("ui:widget") in ("radio", "select"):
        return (("true", "Oui"), ("false", "Non"))
    return ()


def _widget(
    json_type: str,
    prop: Mapping[str, Any],
    ui_field: Mapping[str, Any],
    choices: tuple[tuple[str, str], ...],
) -> str:
    explicit = ui_field.get("ui:widget")
    if explicit:
        return str(explicit)
    if json_type == "boolean" and (_must_tick(prop) or not choices):
        return "checkbox"
    if json_type == "array":
        return "checkboxes"
    if choices:
        return "radio" if len(choices) <= MAX_RADIO_CHOICES else "select"
    if prop.get("format") == "date":
        return "date"
    return "text"


def _rows(widget: str, options: Any) -> int | None:
    if widget != "textarea":
        return None
    rows = options.get("rows") if isinstance(options, Mapping) else None
    return rows if isinstance(rows, int) and rows > 0 else DEFAULT_TEXTAREA_ROWS


def _visible_if(
    name: str, condition: Any, problems: list[str]
) -> dict[str, tuple[str, ...]] | None:
    if condition is None:
        return None
    if not isinstance(condition, Mapping) or not condition:
        problems.append(f"champ « {name} » : « ui:visibleIf » doit être un objet non vide.")
        return None
    return {
        str(other): tuple(
            choice_value(v) for v in (values if isinstance(values, list) else [values])
        )
        for other, values in condition.items()
    }


def _field_problems(spec: FieldSpec, options: Any, storage: Any) -> list[str]:
    where = f"champ « {spec.name} » :"
    problems = []
    if spec.widget not in WIDGETS:
        problems.append(f"{where} le widget « {spec.widget} » n'est pas pris en charge.")
    elif spec.widget in ("radio", "select", "checkboxes") and not spec.choices:
        problems.append(f"{where} le widget « {spec.widget} » demande des choix (enum ou oneOf).")
    elif not _widget_fits(spec):
        problems.append(
            f"{where} le widget « {spec.widget} » ne convient pas au type « {spec.json_type} »."
        )
    if spec.widget == "user" and not spec.role:
        problems.append(f"{where} le widget « user » demande ui:options.role.")
    if not isinstance(options, Mapping):
        problems.append(f"{where} « ui:options » doit être un objet.")
    if storage not in (STORAGE_PROCESS, STORAGE_DOSSIER):
        problems.append(f"{where} « ui:storage » vaut « process » ou « dossier ».")
    if spec.pattern is not None:
        try:
            re.compile(spec.pattern)
        except re.error:
            problems.append(f"{where} le motif (pattern) n'est pas une expression valide.")
    return problems


def _widget_fits(spec: FieldSpec) -> bool:
    kind, widget = spec.json_type, spec.widget
    if widget in ("text", "textarea"):
        return kind in ("string", "integer", "number")
    if widget in ("radio", "select"):
        return kind != "array" and bool(spec.choices)
    if widget == "checkboxes":
        return kind == "array" and bool(spec.choices)
    if widget == "checkbox":
        return kind == "boolean"
    if widget == "files":
        return kind == "array"
    if widget == "hidden":
        return kind != "array"
    if widget == "user":
        return kind in ("string", "integer")
    return kind == "string"  # date, file


def _check_visibility(specs: Mapping[str, FieldSpec], problems: list[str]) -> None:
    for spec in specs.values():
        for other in spec.visible_if or {}:
            if other not in specs or other == spec.name:
                problems.append(
                    f"champ « {spec.name} » : « ui:visibleIf » porte sur « {other} », "
                    "qui n'est pas un autre champ du formulaire."
                )


def _build_pages(
    ui: Mapping[str, Any], title: str, specs: Mapping[str, FieldSpec], problems: list[str]
) -> tuple[FormPage, ...]:
    raw_pages = ui.get("ui:pages")
    if raw_pages is None:
        order = _ordered(list(specs), ui.get("ui:order"), problems)
        return (FormPage(IMPLICIT_PAGE_ID, title, tuple(order)),)
    if not isinstance(raw_pages, list) or not raw_pages:
        problems.append("« ui:pages » doit être une liste non vide de pages.")
        return (FormPage(IMPLICIT_PAGE_ID, title, tuple(specs)),)
    pages: list[FormPage] = []
    placed: set[str] = set()
    for index, raw in enumerate(raw_pages, start=1):
        page = _build_page(index, raw, specs, placed, problems)
        if page is not None:
            if any(other.id == page.id for other in pages):
                problems.append(f"la page « {page.id} » est déclarée deux fois.")
            pages.append(page)
            placed.update(page.fields)
    problems.extend(
        f"le champ « {name} » n'est sur aucune page de « ui:pages »."
        for name in specs
        if name not in placed
    )
    return tuple(pages) or (FormPage(IMPLICIT_PAGE_ID, title, tuple(specs)),)


def _build_page(
    index: int,
    raw: Any,
    specs: Mapping[str, FieldSpec],
    placed: set[str],
    problems: list[str],
) -> FormPage | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("fields"), list):
        problems.append(f"la page n° {index} de « ui:pages » doit avoir une liste « fields ».")
        return None
    page_id = str(raw.get("id") or "")
    if not PAGE_ID.fullmatch(page_id):
        problems.append(f"la page n° {index} doit avoir un identifiant (lettres, chiffres, -, _).")
        return None
    names = []
    for name in raw["fields"]:
        if name not in specs:
            problems.append(f"la page « {page_id} » cite « {name} », qui n'est pas un champ.")
        elif name in placed or name in names:
            problems.append(f"le champ « {name} » figure sur plusieurs pages.")
        else:
            names.append(name)
    return FormPage(page_id, str(raw.get("title") or page_id), tuple(names))


def _ordered(names: list[str], order: Any, problems: list[str]) -> list[str]:
    if order is None:
        return names
    if not isinstance(order, list):
        problems.append("« ui:order » doit être une liste de noms de champs.")
        return names
    unknown = [name for name in order if name != "*" and name not in names]
    problems.extend(f"« ui:order » cite « {name} », qui n'est pas un champ." for name in unknown)
    listed = [name for name in order if name in names]
    rest = [name for name in names if name not in listed]
    if "*" not in order:
        return listed + rest
    star = order.index("*")
    before = [name for name in order[:star] if name in names]
    after = [name for name in order[star + 1 :] if name in names]
    return before + rest + after


def _submit_label(ui: Mapping[str, Any]) -> str:
    label = ui.get("ui:submitLabel")
    if not label:
        options = ui.get("ui:submitButtonOptions")  # react-jsonschema-form's spelling
        label = options.get("submitText") if isinstance(options, Mapping) else None
    return str(label or DEFAULT_SUBMIT_LABEL)


# --- Loading from a process folder ---------------------------------------------------------


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
            f"Le fichier de formulaire « {filename} » est hors du dossier du modèle.",
            path=filename,
        )
    return path


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError as error:
        raise ProcessModelError(
            f"Le fichier de formulaire « {path.name} » est introuvable.", path=str(path)
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
) -> FormDefinition:
    """A form from the JSON texts of a stored process version (None: the file is missing)."""
    if schema_text is None:
        raise ProcessModelError(
            f"Le fichier de formulaire « {schema_filename} » est introuvable.",
            path=schema_filename,
        )
    schema = _parse_json(schema_filename, schema_text)
    ui = _parse_json(ui_filename or "UI schema", ui_text) if ui_text is not None else {}
    return FormDefinition(form_name(schema_filename), schema, ui)


def _read_text(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ProcessModelError(
            f"Le fichier de formulaire « {path.name} » est introuvable ou illisible.",
            path=str(path),
        ) from error


def _parse_json(filename: str, text: str | bytes) -> dict[str, Any]:
    try:
        content = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except UnicodeDecodeError as error:
        raise ProcessModelError(
            f"Le fichier « {filename} » n'est pas encodé en UTF-8.", path=filename
        ) from error
    except json.JSONDecodeError as error:
        raise ProcessModelError(
            f"Le fichier « {filename} » n'est pas un JSON valide "
            f"(ligne {error.lineno}, colonne {error.colno}).",
            path=filename,
        ) from error
    if not isinstance(content, dict):
        raise ProcessModelError(
            f"Le fichier « {filename} » doit contenir un objet JSON.", path=filename
        )
    return content


# --- From HTML-form strings to typed values ------------------------------------------------


def parse_submission(
    form: FormDefinition,
    raw: Mapping[str, Any],
    *,
    fields: Iterable[str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values and parse errors from submitted strings (`{name: [values]}` or a MultiDict).

    Only the fields in scope (`fields`, else the whole form) are read. An empty value is left out
    of the data, except an unticked `checkbox`, which is False. A value that cannot be read is
    kept as typed (so the form shows it again) with an error. For a `file` field sent twice (the
    kept document and a new upload), the last value wins.
    """
    scope = _scope(form, fields)
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    unknown = [key for key in raw if not IGNORED_KEY.match(key) and key not in scope]
    if unknown:
        errors[""] = "Champ inconnu : " + ", ".join(sorted(unknown))
    for spec in form.fields:
        if spec.name not in scope:
            continue
        values = _values(raw, spec.name)
        value, error = _parse_field(spec, values)
        if value is not None:
            data[spec.name] = value
        if error:
            errors[spec.name] = error
    return data, errors


def merge_submission(
    stored: Mapping[str, Any], parsed: Mapping[str, Any], fields: Iterable[str]
) -> dict[str, Any]:
    """Stored data with one page's fields replaced (a field emptied on the page is removed)."""
    replaced = set(fields)
    merged = {key: value for key, value in stored.items() if key not in replaced}
    merged.update(parsed)
    return merged


def _scope(form: FormDefinition, fields: Iterable[str] | None) -> set[str]:
    if fields is None:
        return {spec.name for spec in form.fields}
    return {name for name in fields if name in form}


def _values(raw: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(raw, "getlist", None)
    values = getlist(name) if callable(getlist) else raw.get(name, [])
    if isinstance(values, str):
        values = [values]
    return [value.replace("\x00", "") for value in values if isinstance(value, str)]


def _parse_field(spec: FieldSpec, values: list[str]) -> tuple[Any, str | None]:
    if spec.json_type == "array":
        kept = [value.strip() for value in values if value.strip()]
        return (list(dict.fromkeys(kept)) or None), None
    text = _scalar_text(spec, values)
    if spec.json_type == "boolean":
        return _parse_boolean(spec, text)
    if text is None:
        return None, None
    if spec.json_type == "integer":
        return _parse_integer(text)
    if spec.json_type == "number":
        return _parse_number(text)
    if spec.is_date:
        return _parse_date(text)
    return text, None


def _scalar_text(spec: FieldSpec, values: list[str]) -> str | None:
    if spec.widget == "textarea":
        texts = [value.replace("\r\n", "\n").replace("\r", "\n") for value in values]
    else:
        texts = [value.strip() for value in values]
    filled = [text for text in texts if text.strip()]
    return filled[-1] if filled else None


def _parse_boolean(spec: FieldSpec, text: str | None) -> tuple[Any, str | None]:
    if text is None:
        return (False if spec.widget == "checkbox" else None), None
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True, None
    if word in FALSE_WORDS:
        return False, None
    return text, MSG_INVALID


def _parse_integer(text: str) -> tuple[Any, str | None]:
    compact = SPACES.sub("", text)
    if INTEGER_TEXT.fullmatch(compact):
        return int(compact), None
    return text, MSG_INTEGER


def _parse_number(text: str) -> tuple[Any, str | None]:
    compact = SPACES.sub("", text)
    if not NUMBER_TEXT.fullmatch(compact):
        return text, MSG_NUMBER
    if INTEGER_TEXT.fullmatch(compact):
        return int(compact), None
    number = float(compact.replace(",", "."))
    return (number, None) if math.isfinite(number) else (text, MSG_NUMBER)


def _parse_date(text: str) -> tuple[Any, str | None]:
    french = FRENCH_DATE.fullmatch(text)
    try:
        if french:
            day, month, year = (int(part) for part in french.groups())
            return dt.date(year, month, day).isoformat(), None
        if ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text).isoformat(), None
    except ValueError:
        pass
    return text, MSG_DATE


# --- Validation ----------------------------------------------------------------------------


def validate(
    form: FormDefinition,
    data: Mapping[str, Any],
    *,
    partial: bool = False,
    fields: Iterable[str] | None = None,
) -> dict[str, str]:
    """French messages by field name ("" for the form itself); empty when the data is valid.

    `partial` (a draft) ignores missing required fields, too short lists and unticked boxes.
    `fields` keeps only the errors of those fields (a page); pass the whole form's data so that
    conditions see every value. Errors of fields hidden by `ui:visibleIf` are dropped: the user
    cannot correct them.
    """
    if not isinstance(data, Mapping):
        return {"": MSG_INVALID}
    errors = _oversized(form, data)
    checked = {key: value for key, value in data.items() if key not in errors}
    candidates: dict[str, list[ValidationError]] = {}
    for error in form.validator.iter_errors(checked):
        if partial and _unfinished(form, error, checked):
            continue
        for name in _targets(form, error, checked):
            candidates.setdefault(name, []).append(error)
    for name, found in candidates.items():
        if name not in errors:
            best = min(found, key=lambda e: ERROR_RANK.get(str(e.validator), len(ERROR_RANK)))
            errors[name] = _message(form, name, best, checked)
    return _in_scope(form, errors, data, fields)


def _unfinished(form: FormDefinition, error: ValidationError, data: Mapping[str, Any]) -> bool:
    """A draft may lack fields (or list items) and leave a box to tick (an attestation) unticked."""
    if error.validator in ("required", "dependentRequired", "minItems"):
        return True
    name = str(error.path[0]) if error.path else ""
    return name in form and form.get_field(name).widget == "checkbox" and data[name] is False


def _oversized(form: FormDefinition, data: Mapping[str, Any]) -> dict[str, str]:
    """The hard caps, checked before the schema so no pattern runs on a huge text."""
    errors = {}
    for name, value in data.items():
        if name not in form:
            continue  # reported as an unknown field; its value is never matched against anything
        limit = min(form.get_field(name).max_length or MAX_STRING_LENGTH, MAX_STRING_LENGTH)
        if isinstance(value, list) and len(value) > MAX_ARRAY_ITEMS:
            errors[name] = f"Choisissez au plus {_count(MAX_ARRAY_ITEMS, 'élément', 'éléments')}."
        texts = value if isinstance(value, list) else [value]
        if name not in errors and any(
            isinstance(text, str) and len(text) > MAX_STRING_LENGTH for text in texts
        ):
            errors[name] = _too_long(limit)
    return errors


def _targets(form: FormDefinition, error: ValidationError, data: Mapping[str, Any]) -> list[str]:
    """The fields an error belongs to ("" for the form itself)."""
    if error.validator in ("required", "dependentRequired") and not error.path:
        return [str(name) for name in _listed(error.validator_value) if name not in data]
    if error.validator == "additionalProperties" and not error.path:
        return [""]
    if error.path and str(error.path[0]) in form:
        return [str(error.path[0])]
    return [""]


def _listed(value: Any) -> list[Any]:
    if isinstance(value, Mapping):  # dependentRequired: {"a": ["b", "c"]}
        return [name for names in value.values() for name in names]
    return list(value) if isinstance(value, list) else []


def _in_scope(
    form: FormDefinition,
    errors: dict[str, str],
    data: Mapping[str, Any],
    fields: Iterable[str] | None,
) -> dict[str, str]:
    hidden = {spec.name for spec in form.fields if not is_visible(spec, data)}
    scope = set(fields) if fields is not None else None
    return {
        name: message
        for name, message in errors.items()
        if name == "" or (name not in hidden and (scope is None or name in scope))
    }


def _message(
    form: FormDefinition, name: str, error: ValidationError, data: Mapping[str, Any]
) -> str:
    spec = form.get_field(name) if name in form else None
    keyword = str(error.validator)
    value = error.validator_value
    if name == "":
        return _form_message(form, error, data)
    title = spec.title if spec else name
    if keyword in ("required", "dependentRequired"):
        return f"Le champ « {title} » est obligatoire."
    if keyword == "type":
        return _type_message(value)
    if keyword in ("const", "enum", "oneOf", "anyOf"):
        if spec and spec.widget == "checkbox":
            return f"Cochez la case « {title} »."
        return MSG_CHOICE if spec and spec.choices else MSG_INVALID
    if keyword == "format":
        return _format_message(str(value))
    if keyword == "pattern":
        custom = spec.options.get("patternMessage") if spec else None
        return str(custom) if custom else MSG_PATTERN
    return _bound_message(keyword, value, spec)


def _form_message(form: FormDefinition, error: ValidationError, data: Mapping[str, Any]) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(str(key) for key in data if key not in form)
        return "Champ inconnu : " + ", ".join(extra)
    return MSG_INVALID


def _type_message(expected: Any) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    if "integer" in kinds:
        return MSG_INTEGER
    if "number" in kinds:
        return MSG_NUMBER
    return MSG_INVALID


def _format_message(name: str) -> str:
    if name == "email":
        return MSG_EMAIL
    if name == "date":
        return MSG_DATE
    return MSG_PATTERN


def _bound_message(keyword: str, value: Any, spec: FieldSpec | None) -> str:
    things = ("document", "documents") if spec and spec.is_file else ("élément", "éléments")
    verb = "Joignez" if spec and spec.is_file else "Choisissez"
    number = format_number(value) if isinstance(value, (int, float)) else ""
    messages = {
        "maxLength": lambda: _too_long(int(value)),
        "minLength": lambda: (
            f"Ce texte est trop court ({_count(int(value), 'caractère', 'caractères')} au moins)."
        ),
        "minimum": lambda: f"La valeur doit être supérieure ou égale à {number}.",
        "maximum": lambda: f"La valeur doit être inférieure ou égale à {number}.",
        "exclusiveMinimum": lambda: f"La valeur doit être strictement supérieure à {number}.",
        "exclusiveMaximum": lambda: f"La valeur doit être strictement inférieure à {number}.",
        "multipleOf": lambda: f"La valeur doit être un multiple de {number}.",
        "minItems": lambda: f"{verb} au moins {_count(int(value), *things)}.",
        "maxItems": lambda: f"{verb} au plus {_count(int(value), *things)}.",
        "uniqueItems": lambda: MSG_DUPLICATE,
    }
    build = messages.get(keyword)
    return build() if build else MSG_INVALID


def _too_long(limit: int) -> str:
    return (
        "Ce texte dépasse la longueur autorisée "
        f"({_count(limit, 'caractère', 'caractères')} au plus)."
    )


def _count(number: int, singular: str, plural: str) -> str:
    return f"{format_number(number)} {singular if number <= 1 else plural}"


def format_number(value: float) -> str:
    """French writing: 20 000 (no-break space, from five digits on: 2026 stays 2026), 2,5."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u00a0") if abs(value) >= 10_000 else str(value)
    return repr(value).replace(".", ",")


# --- Visibility and storage ----------------------------------------------------------------


def is_visible(spec: FieldSpec, data: Mapping[str, Any]) -> bool:
    """Whether a field's `ui:visibleIf` holds; a condition on an absent field holds."""
    for other, allowed in (spec.visible_if or {}).items():
        if other not in data or data[other] is None:
            continue
        current = data[other]
        values = current if isinstance(current, list) else [current]
        if not {choice_value(value) for value in values} & set(allowed):
            return False
    return True


def visible_fields(
    form: FormDefinition, page_id: str | None, data: Mapping[str, Any]
) -> list[FieldSpec]:
    """Fields of a page (of the whole form when `page_id` is None) shown given `data`."""
    names = form.get_page(page_id).fields if page_id is not None else None
    return [
        spec
        for spec in form.fields
        if (names is None or spec.name in names) and is_visible(spec, data)
    ]


def prune_hidden(form: FormDefinition, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` without the values of fields that `ui:visibleIf` now hides (e.g. after a change)."""
    hidden = {spec.name for spec in form.fields if not is_visible(spec, data)}
    return {name: value for name, value in data.items() if name not in hidden}


def split_for_storage(
    form: FormDefinition, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(process variables, dossier-only values); keys that are not fields are dropped."""
    process: dict[str, Any] = {}
    dossier: dict[str, Any] = {}
    for name, value in data.items():
        if name in form:
            target = dossier if form.get_field(name).storage == STORAGE_DOSSIER else process
            target[name] = value
    return process, dossier
