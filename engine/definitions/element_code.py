"""The code a BPMN element carries (conditions, expressions, scripts), the label that names the
element in a problem, and the sandbox's verdict on that code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from engine.bpmn import sandbox, spiff
from engine.core.typography import one_line


def element_label(task_spec: Any) -> str:
    """How a problem names the element: `id: « name »`, or `id:`."""
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    name = one_line(getattr(task_spec, "bpmn_name", None) or "")  # one line
    return f"{element}: «\u00a0{name}\u00a0»" if name else f"{element}:"


def expressions(task_spec: Any) -> Iterator[tuple[str, str]]:
    """(what it is, in French; its text) of each expression the engine evaluates on this task."""
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        args = getattr(condition, "args", None)
        if args and isinstance(args[0], str):
            yield "condition", args[0]
    event_definition = getattr(task_spec, "event_definition", None)
    expression = getattr(event_definition, "expression", None)
    if isinstance(expression, str):
        yield ("minuterie" if spiff.is_timer(task_spec) else "contenu de l'événement"), expression
    params = getattr(task_spec, "operation_params", None)
    for name, param in (params or {}).items() if isinstance(params, dict) else ():
        value = param.get("value") if isinstance(param, dict) else None
        if isinstance(value, str):
            yield f"paramètre «\u00a0{name}\u00a0» du service", value
    for attribute, where in (("cardinality", "nombre d'instances"), ("condition", "condition")):
        source = getattr(task_spec, attribute, None)
        if isinstance(source, str) and source.strip():
            yield where, source


def scripts(task_spec: Any) -> Iterator[tuple[str, str]]:
    """(attribute, text) of each script the element runs."""
    for attribute in ("script", "prescript", "postscript"):
        source = getattr(task_spec, attribute, None)
        if isinstance(source, str) and source.strip():
            yield attribute, source


def expression_refusal(source: str) -> str | None:
    """The sandbox's reason to refuse an expression, or None; never an exception."""
    return _refusal(sandbox.check_expression, source)


def script_refusal(source: str) -> str | None:
    """The sandbox's reason to refuse a script, or None; never an exception."""
    return _refusal(sandbox.check_script, source)


def _refusal(check: Callable[[str], str | None], source: str) -> str | None:
    # Python's compiler, past the parser, refuses `return`, `break` or `yield` outside a
    # function with a SyntaxError of its own.
    try:
        return check(source)
    except SyntaxError as error:
        return f"erreur de syntaxe ({error.msg})"
    except Exception as error:
        return f"code refusé ({type(error).__name__}\u00a0: {error})"


def decision_table(task_spec: Any) -> Any:
    """The decision table a business rule task calls, or None."""
    return getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)
