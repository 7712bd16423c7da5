"""Which diagram code may run inside the server (the code whose shape proves it cheap), and
running it there.

Most of a diagram's code is a comparison (`decision == "refus"`), a choice of a few values, or a
script setting a variable (`tours = tours + 1`). Sending it to a sandbox process would cost a
round trip for nothing, so it runs in the server when its syntax tree holds only:

- names, literals, comparisons, `and`/`or`/`not`, unary minus, `x if c else y`, subscripts by a
  single key, and tuple/list/set/dict displays;
- `+` and `-` with a numeric literal on one side (a counter);
- calls, by position only, of the few functions below: each costs at most a pass over its
  arguments (`len`, `bool` in constant time; `str` and `int` are capped by Python at 4,300
  digits; `min`, `max`, `abs` linear; our date helpers parse one short text);
- in scripts: assignments to plain names, `+=`/`-=` by a numeric literal, `if`/`else`, `pass`,
  and no displays (`a = [a, a]` repeated would double a value at each line).

No other call, no loop, no comprehension, no lambda, no attribute, no formatting (`%`,
f-strings), no `*`, `**` or `<<`. Each node then runs once, and each costs at most a pass over
the values it is given (equality and `in` on data are linear), so the whole is bounded by the
source's length (capped by the sandbox policy) times the size of the process data (a few
kilobytes). A script cannot grow a value either: no display nests values, `str` of a text is
the text, and adding a literal number is the only arithmetic. Anything else goes to a sandbox
process with its deadline, even if it would have been harmless.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

from engine.bpmn.sandbox.policy import (
    MAX_SOURCE_CHARS,
    compile_expression,
    compile_script,
    namespace_for,
)
from engine.bpmn.sandbox.variables import apply_variables, script_variables

CHEAP_CALLS = frozenset(
    {
        "len",
        "bool",
        "str",
        "int",
        "min",
        "max",
        "abs",
        "duree_en_jours",
        "heure_de_paris",
        "ajouter_jours",
        "ajouter_mois",
        "aujourdhui",
        "maintenant",
    }
)
_COMPARATORS = (
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)


def _is_number(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _cheap_expression(node: ast.expr, displays: bool = True) -> bool:
    def cheap(child: ast.expr) -> bool:
        return _cheap_expression(child, displays)

    if isinstance(node, ast.Name):
        return isinstance(node.ctx, ast.Load)
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Compare):
        return (
            all(isinstance(op, _COMPARATORS) for op in node.ops)
            and cheap(node.left)
            and all(cheap(item) for item in node.comparators)
        )
    if isinstance(node, ast.BoolOp):
        return all(cheap(value) for value in node.values)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not | ast.USub | ast.UAdd) and cheap(node.operand)
    if isinstance(node, ast.BinOp):
        return (
            isinstance(node.op, ast.Add | ast.Sub)
            and (_is_number(node.left) or _is_number(node.right))
            and cheap(node.left)
            and cheap(node.right)
        )
    if isinstance(node, ast.Call):
        return (
            isinstance(node.func, ast.Name)
            and node.func.id in CHEAP_CALLS
            and not node.keywords
            and not any(isinstance(argument, ast.Starred) for argument in node.args)
            and all(cheap(argument) for argument in node.args)
        )
    if isinstance(node, ast.IfExp):
        return all(cheap(part) for part in (node.test, node.body, node.orelse))
    if isinstance(node, ast.Subscript):
        return (
            isinstance(node.ctx, ast.Load)
            and not isinstance(node.slice, ast.Slice)
            and cheap(node.value)
            and cheap(node.slice)
        )
    if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict) and not displays:
        return False
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(cheap(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is not None and cheap(key) for key in node.keys) and all(
            cheap(value) for value in node.values
        )
    return False


def _cheap_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Assign):
        return all(isinstance(target, ast.Name) for target in node.targets) and (
            _cheap_expression(node.value, displays=False)
        )
    if isinstance(node, ast.AugAssign):
        return (
            isinstance(node.target, ast.Name)
            and isinstance(node.op, ast.Add | ast.Sub)
            and _is_number(node.value)
        )
    if isinstance(node, ast.If):
        return _cheap_expression(node.test, displays=False) and all(
            _cheap_statement(child) for child in [*node.body, *node.orelse]
        )
    return False


@lru_cache(maxsize=4096)
def is_cheap_expression(source: str) -> bool:
    if len(source) > MAX_SOURCE_CHARS:
        return False
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return _cheap_expression(tree.body)


@lru_cache(maxsize=4096)
def is_cheap_script(source: str) -> bool:
    if len(source) > MAX_SOURCE_CHARS:
        return False
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return all(_cheap_statement(statement) for statement in tree.body)


# --- running it here ------------------------------------------------------------------------


def evaluate_here(source: str, context: dict[str, Any], external: dict[str, Any] | None) -> Any:
    return eval(compile_expression(source), namespace_for(context, external))


def execute_here(source: str, context: dict[str, Any], external: dict[str, Any]) -> None:
    namespace = namespace_for(context, external)
    exec(compile_script(source), namespace)
    apply_variables(context, script_variables(namespace, context, external))
