"""Pydantic's refusals in French: one message per field (`erreurs`: {"champ": "message"})."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "extra_forbidden": "Ce champ n'est pas attendu.",
    "string_type": "Saisissez un texte.",
    "int_type": "Saisissez un nombre entier.",
    "int_parsing": "Saisissez un nombre entier.",
    "int_from_float": "Saisissez un nombre entier.",
    "bool_type": "Indiquez vrai ou faux.",
    "bool_parsing": "Indiquez vrai ou faux.",
    "dict_type": "Un objet JSON est attendu.",
    "model_type": "Un objet JSON est attendu.",
    "model_attributes_type": "Un objet JSON est attendu.",
    "list_type": "Une liste est attendue.",
    "json_invalid": "Le JSON envoyé n'est pas valide.",
    "string_pattern_mismatch": "Cette valeur n'a pas la forme attendue.",
    "value_error": "Cette valeur n'est pas valide.",
}


def _message(error: Any) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "string_too_long":
        return f"Ce texte est trop long ({context.get('max_length')} caractères au plus)."
    if kind == "string_too_short":
        return f"Ce texte est trop court ({context.get('min_length')} caractère(s) au moins)."
    if kind in ("greater_than_equal", "greater_than"):
        return f"La valeur doit être au moins {context.get('ge', context.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"La valeur doit être au plus {context.get('le', context.get('lt'))}."
    if kind in ("literal_error", "enum"):
        return f"Valeur non reconnue\u202f; valeurs possibles\u00a0: {context.get('expected', '')}."
    if kind == "too_long":
        return f"Cette liste est trop longue ({context.get('max_length')} éléments au plus)."
    return MESSAGES.get(kind, "Cette valeur n'est pas valide.")


def french_errors(error: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors(include_url=False, include_input=False):
        place = ".".join(str(part) for part in item.get("loc", ()) if part != "__root__")
        found.setdefault(place or "corps", _message(item))
    return found
