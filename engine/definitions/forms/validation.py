"""Validating a form's data against its schema: French messages by field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from jsonschema.exceptions import ValidationError

from engine.core.clock import PARIS, utcnow
from engine.definitions.forms.messages import (
    MSG_INVALID,
    MSG_PAST_DATE,
    count,
    field_message,
    too_long,
    unknown_fields,
)
from engine.definitions.forms.spec import FormDefinition
from engine.definitions.forms.visibility import is_visible

MAX_STRING_LENGTH = 20_000
MAX_ARRAY_ITEMS = 200
# When a field has several errors, the most basic one is shown first.
ERROR_RANK = {
    keyword: rank
    for rank, keyword in enumerate(
        ["type", "const", "enum", "oneOf", "anyOf", "format", "maxLength", "minLength", "pattern"]
    )
}


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
    _past_dates(form, checked, errors)
    return _in_scope(form, errors, data, fields)


def _past_dates(form: FormDefinition, data: Mapping[str, Any], errors: dict[str, str]) -> None:
    """A date field with `ui:options.notPast` refuses a day before today (Paris), unless the box
    its `notPastUnless` names is ticked (the secretariat confirms the session was held)."""
    today = utcnow().astimezone(PARIS).date()
    for spec in form.fields:
        value = data.get(spec.name)
        if spec.widget != "date" or not spec.options.get("notPast") or spec.name in errors:
            continue
        if not isinstance(value, str):
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            continue
        unless = spec.options.get("notPastUnless")
        if day < today and not (unless and data.get(str(unless)) is True):
            errors[spec.name] = str(spec.options.get("notPastMessage") or MSG_PAST_DATE)


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
            errors[name] = f"Choisissez au plus {count(MAX_ARRAY_ITEMS, 'élément', 'éléments')}."
        texts = value if isinstance(value, list) else [value]
        if name not in errors and any(
            isinstance(text, str) and len(text) > MAX_STRING_LENGTH for text in texts
        ):
            errors[name] = too_long(limit)
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
    if name == "":
        return _form_message(form, error, data)
    return field_message(form.get_field(name) if name in form else None, name, error)


def _form_message(form: FormDefinition, error: ValidationError, data: Mapping[str, Any]) -> str:
    if error.validator == "additionalProperties":
        return unknown_fields(str(key) for key in data if key not in form)
    return MSG_INVALID
