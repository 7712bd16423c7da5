"""Conditional fields (`ui:visibleIf`): which fields show given the data, and pruning the others."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.definitions.forms.fields import FieldSpec, choice_value
from engine.definitions.forms.spec import FormDefinition


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
