"""What diagram code leaves behind, on both sides: the process variables a script produced (plain
data only, our names left out), written back to the task data, and a cap on their size."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from engine.bpmn.sandbox.helpers import HELPERS
from engine.bpmn.sandbox.policy import RESERVED
from engine.core.errors import ScriptError


def script_variables(
    namespace: dict[str, Any], context: dict[str, Any], external: dict[str, Any] | None
) -> dict[str, Any]:
    """The process variables a script leaves: its namespace without our names, data only."""
    variables: dict[str, Any] = {}
    for name, value in namespace.items():
        if name in RESERVED or name in (external or {}):
            continue
        if name in HELPERS and name not in context and value is HELPERS[name]:
            continue
        if not is_plain_data(value):
            raise ScriptError(
                f"La variable «\u00a0{name}\u00a0» produite par un script n'est pas une donnée "
                "simple."
            )
        variables[name] = value
    return variables


def apply_variables(context: dict[str, Any], variables: dict[str, Any]) -> None:
    """Write a script's variables back to the task data (a deleted variable is deleted)."""
    for name in list(context):
        if name not in variables:
            del context[name]
    context.update(variables)


MAX_RESULT_BYTES = 1024 * 1024
MEMORY_MESSAGE = "Le code du diagramme a dépassé la mémoire autorisée\u202f; il a été arrêté."


def check_result_size(value: Any) -> None:
    """Refuse a result bigger than the process variables should ever be (a dossier's whole
    state is a few kilobytes), before it is copied anywhere."""
    if _size_over(value, MAX_RESULT_BYTES) > MAX_RESULT_BYTES:
        raise ScriptError(
            "Le résultat du code du diagramme est trop volumineux "
            f"(plus de {MAX_RESULT_BYTES // (1024 * 1024)} Mo)\u202f; il a été refusé."
        )


def _size_over(value: Any, budget: int) -> int:
    """An estimate of `value`'s size in bytes, stopping as soon as it passes `budget`."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 8 + 8
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        return 16
    total = 8 * len(items)
    for item in items:
        if total > budget:
            break
        total += _size_over(item, budget - total)
    return total


def is_plain_data(value: Any, depth: int = 0) -> bool:
    """What a script may leave in the process variables: JSON-like data and dates."""
    if depth > 20:
        return False
    if value is None or isinstance(value, str | bool | int | float | date | datetime | timedelta):
        return True
    if isinstance(value, list | tuple):
        return all(is_plain_data(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and is_plain_data(item, depth + 1) for key, item in value.items()
        )
    return False
