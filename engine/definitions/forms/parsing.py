"""From HTML-form strings to typed values: what a user posted, read field by field."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.definitions.forms.fields import FieldSpec
from engine.definitions.forms.messages import (
    MSG_DATE,
    MSG_INTEGER,
    MSG_INVALID,
    MSG_NUMBER,
    unknown_fields,
)
from engine.definitions.forms.spec import FormDefinition

# Keys the web layer adds to every form (CSRF token, button names, "_retirer_x" checkboxes).
IGNORED_KEY = re.compile(r"^(_|csrf_token$)")
TRUE_WORDS = frozenset({"true", "on", "oui", "1"})
FALSE_WORDS = frozenset({"false", "non", "0", ""})
INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
NUMBER_TEXT = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SPACES = re.compile(r"[\s\u00a0\u202f]+")


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
        errors[""] = unknown_fields(unknown)
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
