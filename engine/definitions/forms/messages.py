"""French messages of the errors found in a form's data, and the French writing of numbers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError

from engine.core.typography import number
from engine.definitions.forms.fields import FieldSpec

MSG_INTEGER = "Saisissez un nombre entier."
MSG_NUMBER = "Saisissez un nombre."
MSG_INVALID = "Valeur invalide."
MSG_CHOICE = "Choisissez une valeur de la liste."
MSG_PATTERN = "Le format n'est pas valide."
MSG_EMAIL = "Saisissez une adresse électronique valide (ex. nom@domaine.fr)."
MSG_DATE = "Saisissez une date valide (JJ/MM/AAAA)."
MSG_PAST_DATE = "Cette date est passée\u00a0: choisissez aujourd'hui ou une date à venir."
MSG_DUPLICATE = "Une même valeur figure plusieurs fois."


def unknown_fields(names: Iterable[str]) -> str:
    """The message of values sent for fields the form does not have."""
    return "Champ inconnu\u00a0: " + ", ".join(sorted(names))


def field_message(spec: FieldSpec | None, name: str, error: ValidationError) -> str:
    """The message shown beside a field (`spec` None: a name the form does not have)."""
    keyword = str(error.validator)
    value = error.validator_value
    title = spec.title if spec else name
    if keyword in ("required", "dependentRequired"):
        return f"Le champ «\u00a0{title}\u00a0» est obligatoire."
    if keyword == "type":
        return _type_message(value)
    if keyword in ("const", "enum", "oneOf", "anyOf"):
        if spec and spec.widget == "checkbox":
            return f"Cochez la case «\u00a0{title}\u00a0»."
        custom = spec.options.get("choiceMessage") if spec else None
        if custom:
            return str(custom)
        return MSG_CHOICE if spec and spec.choices else MSG_INVALID
    if keyword == "format":
        return _format_message(str(value))
    if keyword == "pattern":
        custom = spec.options.get("patternMessage") if spec else None
        return str(custom) if custom else MSG_PATTERN
    return _bound_message(keyword, value, spec)


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
        "maxLength": lambda: too_long(int(value)),
        "minLength": lambda: (
            f"Ce texte est trop court ({count(int(value), 'caractère', 'caractères')} au moins)."
        ),
        "minimum": lambda: f"La valeur doit être supérieure ou égale à {number}.",
        "maximum": lambda: f"La valeur doit être inférieure ou égale à {number}.",
        "exclusiveMinimum": lambda: f"La valeur doit être strictement supérieure à {number}.",
        "exclusiveMaximum": lambda: f"La valeur doit être strictement inférieure à {number}.",
        "multipleOf": lambda: f"La valeur doit être un multiple de {number}.",
        "minItems": lambda: f"{verb} au moins {count(int(value), *things)}.",
        "maxItems": lambda: f"{verb} au plus {count(int(value), *things)}.",
        "uniqueItems": lambda: MSG_DUPLICATE,
    }
    build = messages.get(keyword)
    return build() if build else MSG_INVALID


def too_long(limit: int) -> str:
    """The message of a text over `limit` characters."""
    return (
        "Ce texte dépasse la longueur autorisée "
        f"({count(limit, 'caractère', 'caractères')} au plus)."
    )


def count(number: int, singular: str, plural: str) -> str:
    """`1 caractère`, `20 000 caractères`."""
    return f"{format_number(number)} {singular if number <= 1 else plural}"


def format_number(value: float) -> str:
    """French writing: 20 000 (narrow no-break space, from five digits on: 2026 stays 2026), 2,5."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return number(value)
    return repr(value).replace(".", ",")
