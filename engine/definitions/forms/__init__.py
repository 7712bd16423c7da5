"""Forms of user tasks: a JSON Schema (draft 2020-12 subset) plus a UI schema."""

from engine.definitions.forms.schema import (
    MAX_ARRAY_ITEMS,
    FieldSpec,
    FormDefinition,
    FormPage,
    choice_value,
    format_number,
    load_form,
    load_form_from_texts,
    merge_submission,
    parse_submission,
    prune_hidden,
    split_for_storage,
    validate,
    visible_fields,
)

__all__ = [
    "MAX_ARRAY_ITEMS",
    "FieldSpec",
    "FormDefinition",
    "FormPage",
    "choice_value",
    "format_number",
    "load_form",
    "load_form_from_texts",
    "merge_submission",
    "parse_submission",
    "prune_hidden",
    "split_for_storage",
    "validate",
    "visible_fields",
]
