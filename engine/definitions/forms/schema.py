"""Reading a form's JSON Schema and UI schema into fields and pages, with French problems.

The schema is the contract (types, required fields, conditions); the UI schema says how to show
it (pages, widgets, hints). Both are checked once, every problem listed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.core.errors import ProcessModelError
from engine.definitions.forms.field_checks import check_not_past, check_visibility, field_problems
from engine.definitions.forms.fields import (
    STORAGE_PROCESS,
    FieldSpec,
    FormPage,
    choice_value,
)
from engine.definitions.forms.messages import count

MAX_RADIO_CHOICES = 5
DEFAULT_SUBMIT_LABEL = "Valider"
DEFAULT_TEXTAREA_ROWS = 5
IMPLICIT_PAGE_ID = "formulaire"
SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})
PAGE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def raise_if_any(name: str, problems: list[str]) -> None:
    """ProcessModelError naming the form and its first problem, all of them attached."""
    if not problems:
        return
    message = f"Le formulaire «\u00a0{name}\u00a0» n'est pas valide\u00a0: {problems[0]}"
    if len(problems) > 1:
        message += f" (et {count(len(problems) - 1, 'autre problème', 'autres problèmes')})"
    raise ProcessModelError(message, problems=list(problems), form=name)


def schema_problems(schema: Mapping[str, Any]) -> list[str]:
    """What makes a JSON Schema unusable as a form (checked before its fields are read)."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "racine"
        return [f"le schéma JSON est invalide ({where}\u00a0: {error.message})."]
    problems = []
    if schema.get("type") != "object":
        problems.append("le schéma doit être de type «\u00a0object\u00a0».")
    if not isinstance(schema.get("properties"), Mapping):
        problems.append("le schéma doit déclarer ses champs dans «\u00a0properties\u00a0».")
    if schema.get("additionalProperties", False) is not False:
        problems.append("«\u00a0additionalProperties\u00a0» doit valoir false.")
    problems.extend(
        f"la référence «\u00a0{ref}\u00a0» n'est pas locale (seules les références #/… sont "
        "permises)."
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


def build_fields(
    schema: Mapping[str, Any], ui: Mapping[str, Any], problems: list[str]
) -> dict[str, FieldSpec]:
    """The fields by name, in the schema's order; their problems added to `problems`."""
    properties: Mapping[str, Any] = schema["properties"]
    required = set(schema.get("required", []))
    problems.extend(
        f"le champ obligatoire «\u00a0{name}\u00a0» n'est pas déclaré dans "
        "«\u00a0properties\u00a0»."
        for name in sorted(required - set(properties))
    )
    problems.extend(
        f"l'UI schema décrit «\u00a0{key}\u00a0», qui n'est pas un champ du formulaire."
        for key in ui
        if not key.startswith("ui:") and key not in properties
    )
    specs = {}
    for name, prop in properties.items():
        ui_field = ui.get(name) or {}
        if not isinstance(prop, Mapping) or not isinstance(ui_field, Mapping):
            problems.append(
                f"champ «\u00a0{name}\u00a0»\u00a0: sa description doit être un objet JSON."
            )
            continue
        spec = _build_field(name, prop, ui_field, name in required, problems)
        if spec is not None:
            specs[name] = spec
    check_visibility(specs, problems)
    check_not_past(specs, problems)
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
            f"champ «\u00a0{name}\u00a0»\u00a0: le type {json.dumps(json_type)} n'est pas pris en "
            "charge."
        )
        return None
    source = prop
    if json_type == "array":
        items = prop.get("items")
        if not isinstance(items, Mapping) or items.get("type", "string") != "string":
            problems.append(
                f"champ «\u00a0{name}\u00a0»\u00a0: une liste doit contenir des textes (items)."
            )
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
    problems.extend(field_problems(spec, options, storage))
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
        problems.append(
            f"champ «\u00a0{name}\u00a0»\u00a0: «\u00a0ui:visibleIf\u00a0» doit être un objet non "
            "vide."
        )
        return None
    return {
        str(other): tuple(
            choice_value(v) for v in (values if isinstance(values, list) else [values])
        )
        for other, values in condition.items()
    }


def build_pages(
    ui: Mapping[str, Any], title: str, specs: Mapping[str, FieldSpec], problems: list[str]
) -> tuple[FormPage, ...]:
    """The pages of `ui:pages`, or one implicit page in `ui:order`."""
    raw_pages = ui.get("ui:pages")
    if raw_pages is None:
        order = _ordered(list(specs), ui.get("ui:order"), problems)
        return (FormPage(IMPLICIT_PAGE_ID, title, tuple(order)),)
    if not isinstance(raw_pages, list) or not raw_pages:
        problems.append("«\u00a0ui:pages\u00a0» doit être une liste non vide de pages.")
        return (FormPage(IMPLICIT_PAGE_ID, title, tuple(specs)),)
    pages: list[FormPage] = []
    placed: set[str] = set()
    for index, raw in enumerate(raw_pages, start=1):
        page = _build_page(index, raw, specs, placed, problems)
        if page is not None:
            if any(other.id == page.id for other in pages):
                problems.append(f"la page «\u00a0{page.id}\u00a0» est déclarée deux fois.")
            pages.append(page)
            placed.update(page.fields)
    problems.extend(
        f"le champ «\u00a0{name}\u00a0» n'est sur aucune page de «\u00a0ui:pages\u00a0»."
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
        problems.append(
            f"la page n° {index} de «\u00a0ui:pages\u00a0» doit avoir une liste "
            "«\u00a0fields\u00a0»."
        )
        return None
    page_id = str(raw.get("id") or "")
    if not PAGE_ID.fullmatch(page_id):
        problems.append(f"la page n° {index} doit avoir un identifiant (lettres, chiffres, -, _).")
        return None
    names = []
    for name in raw["fields"]:
        if name not in specs:
            problems.append(
                f"la page «\u00a0{page_id}\u00a0» cite «\u00a0{name}\u00a0», qui n'est pas un "
                "champ."
            )
        elif name in placed or name in names:
            problems.append(f"le champ «\u00a0{name}\u00a0» figure sur plusieurs pages.")
        else:
            names.append(name)
    return FormPage(page_id, str(raw.get("title") or page_id), tuple(names))


def _ordered(names: list[str], order: Any, problems: list[str]) -> list[str]:
    if order is None:
        return names
    if not isinstance(order, list):
        problems.append("«\u00a0ui:order\u00a0» doit être une liste de noms de champs.")
        return names
    unknown = [name for name in order if name != "*" and name not in names]
    problems.extend(
        f"«\u00a0ui:order\u00a0» cite «\u00a0{name}\u00a0», qui n'est pas un champ."
        for name in unknown
    )
    listed = [name for name in order if name in names]
    rest = [name for name in names if name not in listed]
    if "*" not in order:
        return listed + rest
    star = order.index("*")
    before = [name for name in order[:star] if name in names]
    after = [name for name in order[star + 1 :] if name in names]
    return before + rest + after


def submit_label(ui: Mapping[str, Any]) -> str:
    """The label of the form's last button."""
    label = ui.get("ui:submitLabel")
    if not label:
        options = ui.get("ui:submitButtonOptions")  # react-jsonschema-form's spelling
        label = options.get("submitText") if isinstance(options, Mapping) else None
    return str(label or DEFAULT_SUBMIT_LABEL)
