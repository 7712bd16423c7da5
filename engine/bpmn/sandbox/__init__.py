"""Diagram code (scripts, conditions, expressions, templates) is code written by others: it runs
confined.

- `policy`: RestrictedPython compilation, guards, the namespace code runs in (both sides);
- `helpers`: the French date helpers diagram code may call; `variables`: what a script leaves;
- `cheap`: the code whose shape proves it cheap, run in the server;
- `client`, `process`, `wire`: everything else runs in a pool of sandbox processes
  (`python -m engine.bpmn.sandbox.process`) with a deadline and limits of their own.

Other packages use the policy's names below (deployment checks) and `client` (warming the pool);
the rest is engine.bpmn's own.
"""

from __future__ import annotations

from engine.bpmn.sandbox.helpers import HELPERS
from engine.bpmn.sandbox.policy import (
    ACTION_TIME_BUDGET,
    BUILTINS,
    DEFAULT_TIME_LIMIT,
    MAX_SOURCE_CHARS,
    check_expression,
    check_script,
    compile_expression,
    compile_script,
)

__all__ = [
    "ACTION_TIME_BUDGET",
    "BUILTINS",
    "DEFAULT_TIME_LIMIT",
    "HELPERS",
    "MAX_SOURCE_CHARS",
    "check_expression",
    "check_script",
    "compile_expression",
    "compile_script",
]
