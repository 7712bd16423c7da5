"""Diagram code runs confined: what must never run, never runs."""

from __future__ import annotations

import time
from datetime import date

import pytest
from freezegun import freeze_time

from engine.bpmn import sandbox
from engine.bpmn.spiff import SandboxEnvironment
from engine.core.errors import ScriptError

ESCAPES = [
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "x.__class__",
    "x.__dict__",
    "[c for c in ().__class__.__mro__]",
    "(lambda: 1).__code__",
    "x._private",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_attempts_are_refused_at_compile_time(source: str) -> None:
    with pytest.raises(ScriptError) as caught:
        sandbox.compile_expression(source)
    assert "refusé" in caught.value.user_message


@pytest.mark.parametrize("source", ["import os", "from os import path", "import subprocess as s"])
def test_imports_are_refused(source: str) -> None:
    with pytest.raises(ScriptError, match="imports sont interdits"):
        sandbox.compile_script(source)


@pytest.mark.parametrize(
    "source",
    [
        "open('/etc/passwd').read()",
        "getattr(x, 'real')",
        "eval('1')",
        "exec('y = 1')",
        "globals()",
        "vars()",
        "compile('1', 'f', 'eval')",
        "'{0.__class__}'.format(x)",
        "type(x).mro()",
    ],
)
def test_dangerous_builtins_are_absent(source: str) -> None:
    environment = SandboxEnvironment()
    with pytest.raises(Exception) as caught:
        environment.evaluate(source, {"x": 1})
    assert not isinstance(caught.value, SystemExit)


def test_a_script_that_runs_too_long_is_stopped() -> None:
    environment = SandboxEnvironment(time_limit=0.2)
    started = time.perf_counter()
    with pytest.raises(ScriptError, match="dépassé le temps autorisé"):
        environment.execute("n = 0\nwhile True:\n    n = n + 1", {})
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "source", ["'a' * 10**9", "[0] * 10**9", "10**10**10", "1 << 10**9", "list(range(10**9))"]
)
def test_huge_values_are_refused_before_they_are_built(source: str) -> None:
    with pytest.raises(ScriptError):
        SandboxEnvironment().evaluate(source, {})


def test_ordinary_code_still_works() -> None:
    environment = SandboxEnvironment()
    data = {"decision": "recevable", "dates": {"depot": "2026-01-01"}, "n": 2}
    assert environment.evaluate('decision == "recevable" and n ** 2 == 4', data) is True
    environment.execute(
        "echeance = ajouter_jours(dates['depot'], 30)\nliste = sorted([3, 1, 2])\nn += 1", data
    )
    assert data["echeance"] == "2026-01-31"
    assert data["liste"] == [1, 2, 3]
    assert data["n"] == 3


def test_a_script_cannot_leave_functions_or_objects_in_the_data() -> None:
    with pytest.raises(ScriptError, match="pas une donnée simple"):
        SandboxEnvironment().execute("f = sorted", {})


def test_task_data_cannot_replace_the_guards() -> None:
    environment = SandboxEnvironment()
    # A variable named like a guard is ignored: the guard still refuses the attribute.
    with pytest.raises(ScriptError):
        environment.evaluate("x.__class__", {"x": 1, "_getattr_": getattr})


def test_today_is_the_paris_date() -> None:
    # 23:30 UTC on 31 January is 00:30 on 1 February in Paris.
    with freeze_time("2027-01-31T23:30:00+00:00"):
        assert SandboxEnvironment().evaluate("aujourdhui()", {}) == date(2027, 2, 1)
        assert SandboxEnvironment().evaluate("ajouter_jours(aujourdhui(), 30)", {}) == "2027-03-03"
