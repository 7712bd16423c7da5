"""The JSON Schema validator a form compiles once: draft 2020-12 with our format checkers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from engine.core.formats import EMAIL


def _is_email(instance: object) -> bool:
    return not isinstance(instance, str) or bool(EMAIL.fullmatch(instance))


FORMAT_CHECKER = FormatChecker()
# jsonschema only looks for an "@"; we want at least a domain with a dot.
FORMAT_CHECKER.checks("email")(_is_email)


def compile_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """The validator of a checked form schema (compiled once per form)."""
    return Draft202012Validator(_labelled_choices_as_enums(schema), format_checker=FORMAT_CHECKER)


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
