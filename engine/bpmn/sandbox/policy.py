"""The policy for diagram code, on both sides (the server and its sandbox processes): every piece
of code is compiled with RestrictedPython (no imports, no names or attributes starting with an
underscore, guarded attribute/item access), big-number and big-sequence operators are rewritten
into guarded calls, and it runs in a namespace of our helpers, its data and the guards (data can
never replace a guard). Compiled code is cached.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
    utility_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine.bpmn.sandbox.helpers import HELPERS
from engine.core.errors import ScriptError

SANDBOX_FILENAME = "<diagramme>"
MAX_SOURCE_CHARS = 20_000
MAX_SEQUENCE = 1_000_000
MAX_EXPONENT = 10_000
DEFAULT_TIME_LIMIT = 1.0
# What all the diagram code of one user action may take together (several scripts, conditions,
# timers): past it, the action fails like a script past its own limit.
ACTION_TIME_BUDGET = 5.0


# --- compilation -----------------------------------------------------------------------------


class _GuardedOperators(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus `*`, `**` and `<<` routed through a size check."""

    _GUARDED = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<"}

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = self._GUARDED.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name(id="_guarded_binop_", ctx=ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        for new_node in (call, call.func, call.args[0]):
            ast.copy_location(new_node, node)
        return call

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import statements are not allowed.")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import statements are not allowed.")
        return node


def _refused(errors: Sequence[str], source: str) -> ScriptError:
    detail = "; ".join(dict.fromkeys(_translate(error) for error in errors))
    return ScriptError(
        f"Code refusé par le bac à sable\u00a0: {detail}", source=source[:200], errors=list(errors)
    )


def _translate(error: str) -> str:
    if "import" in error.lower():
        return "les imports sont interdits"
    if "invalid variable name" in error or "invalid attribute name" in error:
        return "les noms commençant par «\u00a0_\u00a0» sont interdits"
    if "SyntaxError" in error or "invalid syntax" in error:
        return f"erreur de syntaxe ({error})"
    return error


def _check_size(source: str) -> None:
    if len(source) > MAX_SOURCE_CHARS:
        raise ScriptError(f"Code trop long ({len(source)} caractères, {MAX_SOURCE_CHARS} au plus).")


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile a condition or expression; raise ScriptError (French) when refused."""
    _check_size(source)
    try:
        result = compile_restricted_eval(
            source.strip(), filename=SANDBOX_FILENAME, policy=_GuardedOperators
        )
    except SyntaxError as error:  # what Python's compiler refuses after parsing (a `yield`)
        raise _refused([f"SyntaxError: {error.msg}"], source) from None
    if result.errors or result.code is None:
        raise _refused(result.errors or ("code vide",), source)
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    """Compile a script (script task, pre- or post-script); raise ScriptError when refused."""
    _check_size(source)
    try:
        result = compile_restricted_exec(
            source, filename=SANDBOX_FILENAME, policy=_GuardedOperators
        )
    except SyntaxError as error:  # what Python's compiler refuses after parsing (`return`)
        raise _refused([f"SyntaxError: {error.msg}"], source) from None
    if result.errors or result.code is None:
        raise _refused(result.errors or ("code vide",), source)
    return result.code


def check_expression(source: str) -> str | None:
    """The French reason an expression is refused, or None (for validation)."""
    try:
        compile_expression(source)
    except ScriptError as error:
        return error.user_message
    return None


def check_script(source: str) -> str | None:
    try:
        compile_script(source)
    except ScriptError as error:
        return error.user_message
    return None


# --- guards ----------------------------------------------------------------------------------


def _length(value: Any) -> int | None:
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return None


def _guarded_binop(symbol: str, left: Any, right: Any) -> Any:
    if symbol == "**":
        if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise ScriptError("Exposant trop grand dans un script du diagramme.")
        too_big = (
            isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left) > 1
            and right * math.log2(abs(left)) > 64 * MAX_EXPONENT
        )
        if too_big:
            raise ScriptError("Nombre trop grand dans un script du diagramme.")
        return left**right
    if symbol == "<<":
        if isinstance(right, int) and right > 64 * MAX_EXPONENT:
            raise ScriptError("Décalage trop grand dans un script du diagramme.")
        return left << right
    for sequence, count in ((left, right), (right, left)):
        size = _length(sequence)
        if size is not None and isinstance(count, int) and size * count > MAX_SEQUENCE:
            raise ScriptError("Texte ou liste trop long dans un script du diagramme.")
    return left * right


def _inplace(op: str, left: Any, right: Any) -> Any:
    operators: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b,
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: _guarded_binop("*", a, b),
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": lambda a, b: a % b,
        "**=": lambda a, b: _guarded_binop("**", a, b),
        "|=": lambda a, b: a | b,
        "&=": lambda a, b: a & b,
    }
    if op not in operators:
        raise ScriptError(f"Opérateur «\u00a0{op}\u00a0» interdit dans un script du diagramme.")
    result = operators[op](left, right)
    size = _length(result)
    if size is not None and size > MAX_SEQUENCE:
        raise ScriptError("Texte ou liste trop long dans un script du diagramme.")
    return result


def _write_guard(value: Any) -> Any:
    # Scripts may change the plain data they were given (dicts, lists), nothing else.
    if isinstance(value, dict | list):
        return value
    raise ScriptError("Modification interdite dans un script du diagramme.")


def _bounded_iter(value: Any) -> Iterator[Any]:
    return iter(value)


def _bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_SEQUENCE:
        raise ScriptError("Intervalle trop long dans un script du diagramme.")
    return result


BUILTINS: dict[str, Any] = {
    **safe_builtins,
    **limited_builtins,
    **utility_builtins,
    "range": _bounded_range,
    "sum": sum,
    "min": min,
    "max": max,
    "any": any,
    "all": all,
    "enumerate": enumerate,
    "sorted": sorted,
    "list": list,
    "dict": dict,
    "map": map,
    "filter": filter,
    "reversed": reversed,
}
# utility_builtins brings modules (math, random, string, set, frozenset, DateTime); keep data only.
for _name in ("random", "string", "whrandom", "DateTime", "same_type", "test"):
    BUILTINS.pop(_name, None)

GUARDS: dict[str, Any] = {
    "__builtins__": BUILTINS,
    "__name__": "diagramme",
    "__metaclass__": type,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": _bounded_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _write_guard,
    "_inplacevar_": _inplace,
    "_guarded_binop_": _guarded_binop,
    "_apply_": lambda function, *args, **kwargs: function(*args, **kwargs),
}

# Names a script leaves that are ours, not process variables.
RESERVED = frozenset(GUARDS)


def namespace_for(context: dict[str, Any], external: dict[str, Any] | None) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    namespace.update(HELPERS)
    namespace.update(external or {})
    namespace.update(context)
    namespace.update(GUARDS)  # last: task data can never replace a guard
    return namespace
