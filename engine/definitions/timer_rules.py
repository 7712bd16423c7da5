"""Deployment rule on timers: a constant timer expression gives ISO 8601 text, bounded when it
repeats."""

from __future__ import annotations

import re
from typing import Any

from engine.bpmn import spiff
from engine.bpmn.bpmn_rules import cycle_problem
from engine.core.errors import InventaireError
from engine.definitions.code_names import expression_reads
from engine.definitions.element_code import expression_refusal
from engine.definitions.known_names import SANDBOX_NAMES

# ISO 8601 text written bare where the engine reads an expression (P7D, R3/P1D, a date): the
# modelers of other engines take the text as is, SpiffWorkflow evaluates it.
_BARE_ISO = re.compile(
    r"\s*(?:R\d*/)?(?:P[\dYMWDTHS.,]+|\d{4}-\d{2}-\d{2}[\dT:.+Z-]*)(?:/P[\dYMWDTHS.,]+)?\s*"
)


def unquoted_timer_text(expression: str) -> bool:
    """Whether a timer's expression is ISO 8601 text without its quotes."""
    return _BARE_ISO.fullmatch(expression) is not None


def timer_problem(task_spec: Any) -> str | None:
    """A constant timer expression must give ISO 8601 text ("P30D", a date, "R3/…/P1D"), and a
    repeating one must be bounded and spaced."""
    event_definition = getattr(task_spec, "event_definition", None)
    expression = getattr(event_definition, "expression", None)
    if not spiff.is_timer(task_spec) or not isinstance(expression, str):
        return None
    if expression_refusal(expression) or unquoted_timer_text(expression):
        return None  # reported as refused code, or as text without its quotes
    if expression_reads(expression) - SANDBOX_NAMES:
        return None  # depends on process variables: checked when the dossier reaches it
    try:
        value = spiff.SandboxEnvironment(time_limit=0.2).evaluate(expression, {})
    except NameError:
        return None
    except InventaireError as error:
        return f"expression de minuterie refusée\u00a0: {error.user_message}"
    except Exception as error:
        return f"expression de minuterie invalide ({type(error).__name__}\u00a0: {error})"
    if not isinstance(value, str):
        return (
            "l'expression de minuterie doit donner un texte ISO 8601 entre guillemets, "
            f'par exemple "P30D" (elle donne {value!r})'
        )
    reason = spiff.timer_text_problem(event_definition, value)
    if reason:
        return f"minuterie «\u00a0{value}\u00a0»\u00a0: {reason}"
    parse_cycle = getattr(event_definition, "parse_iso_recurring_interval", None)
    if type(event_definition).__name__ == "CycleTimerEventDefinition" and parse_cycle:
        repetitions, _start, interval = parse_cycle(value)
        reason = cycle_problem(repetitions, interval)
        if reason:
            return f"minuterie répétée «\u00a0{value}\u00a0»\u00a0: {reason}"
    return None
