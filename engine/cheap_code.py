"""Which diagram code may run inside the server: the code whose shape proves it cheap.

Most of a diagram's code is a comparison (`decision == "refus"`), a choice of a few values, or a
script setting a variable (`tours = tours + 1`). Sending it to a sandbox process would cost a
round trip for nothing, so it runs in the server when its syntax tree holds only:

- names, literals, comparisons, `and`/`or`/`not`, unary minus, `x if c else y`, subscripts by a
  single key, and tuple/list/set/dict displays;
- `+` and `-` with a numeric literal on one side (a counter);
- in scripts: assignments to plain names, `+=`/`-=` by a numeric literal, `if`/`else`, `pass`.

No call, no loop, no comprehension, no lambda, no attribute, no formatting (`%`, f-strings), no
`*`, `**` or `<<`. Each node then runs once, and each costs at most a pass over the values it is
given (equality and `in` on data are linear), so the whole is bounded by the source's length
(capped by engine.sandbox) times the size of the process data (a few kilobytes). A script cannot
grow a value either: adding a literal number is the only arithmetic. Anything else goes to a
sandbox process with its deadline, even if it would have been harmless.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from engine import sandbox

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


def _cheap_expression(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return isinstance(node.ctx, ast.Load)
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Compare):
        return (
            all(isinstance(op, _COMPARATORS) for op in node.ops)
            and _cheap_expression(node.left)
            and all(_cheap_expression(item) for item in node.comparators)
        )
    if isinstance(node, ast.BoolOp):
        return all(_cheap_expression(value) for value in node.values)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not | ast.USub | ast.UAdd) and _cheap_expression(
            node.operand
        )
    if isinstance(node, ast.BinOp):
        return (
            isinstance(node.op, ast.Add | ast.Sub)
            and (_is_number(node.left) or _is_number(node.right))
            and _cheap_expression(node.left)
            and _cheap_expression(node.right)
        )
    if isinstance(node, ast.IfExp):
        return all(_cheap_expression(part) for part in (node.test, node.body, node.orelse))
    if isinstance(node, ast.Subscript):
        return (
            isinstance(node.ctx, ast.Load)
            and not isinstance(node.slice, ast.Slice)
            and _cheap_expression(node.value)
            and _cheap_expression(node.slice)
        )
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_cheap_expression(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is not None and _cheap_expression(key) for key in node.keys) and all(
            _cheap_expression(value) for value in node.values
        )
    return False


def _cheap_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Assign):
        return all(isinstance(target, ast.Name) for target in node.targets) and _cheap_expression(
            node.value
        )
    if isinstance(node, ast.AugAssign):
        return (
            isinstance(node.target, ast.Name)
            and isinstance(node.op, ast.Add | ast.Sub)
            and _is_number(node.value)
        )
    if isinstance(node, ast.If):
        return _cheap_expression(node.test) and all(
            _cheap_statement(child) for child in [*node.body, *node.orelse]
        )
    return False


@lru_cache(maxsize=4096)
def is_cheap_expression(source: str) -> bool:
    if len(source) > sandbox.MAX_SOURCE_CHARS:
        return False
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return _cheap_expression(tree.body)


@lru_cache(maxsize=4096)
def is_cheap_script(source: str) -> bool:
    if len(source) > sandbox.MAX_SOURCE_CHARS:
        return False
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return all(_cheap_statement(statement) for statement in tree.body)
