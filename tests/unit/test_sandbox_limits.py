"""The sandbox processes: hard limits on what diagram code may take, a pool that survives them."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.bpmn.sandbox import cheap, client, wire
from engine.bpmn.spiff import SandboxEnvironment
from engine.core.errors import ScriptError

RUNAWAYS = [
    ("pow(3, 10 ** 8)", "dépassé le temps autorisé"),
    ("math.factorial(10 ** 6)", "dépassé le temps autorisé"),
    ("'x'.ljust(10 ** 9)", "mémoire autorisée"),
    ("'%0999999999d' % 1", "mémoire autorisée"),
    ("f'{1:>999999999}'", "mémoire autorisée"),
    ("'x'.ljust(3 * 10 ** 6)", "trop volumineux"),
]


@pytest.mark.parametrize(("source", "reason"), RUNAWAYS)
def test_heavy_expressions_end_with_a_french_error(source: str, reason: str) -> None:
    with pytest.raises(ScriptError, match=reason):
        SandboxEnvironment().evaluate(source, {})


@pytest.mark.parametrize(
    "script", ["while True: pass", "while True:\n    x = 1", "x = [0]\nwhile x: x.append(1)"]
)
def test_endless_scripts_are_stopped(script: str) -> None:
    with pytest.raises(ScriptError, match=r"dépassé|mémoire|volumineux"):
        SandboxEnvironment(time_limit=0.5).execute(script, {})


def test_the_pool_serves_again_after_a_breach() -> None:
    environment = SandboxEnvironment()
    with pytest.raises(ScriptError):
        environment.evaluate("pow(3, 10 ** 8)", {})
    assert environment.evaluate("sorted(jours)", {"jours": [12, 1]}) == [1, 12]


def test_one_action_has_a_budget_for_all_its_code() -> None:
    environment = SandboxEnvironment(time_limit=0.3, action_budget=0.5)
    messages = []
    for _attempt in range(4):  # two deadlines at most fit in the budget, then it is spent
        with pytest.raises(ScriptError) as caught:
            environment.evaluate("pow(3, 10 ** 8)", {})
        messages.append(caught.value.user_message)
    assert "dépassé le temps autorisé (0.3 s)" in messages[0]
    assert "épuisé le temps de calcul" in messages[-1]
    with pytest.raises(ScriptError, match="épuisé le temps de calcul"):
        environment.evaluate("sorted([2, 1])", {})


def test_scripts_in_a_sandbox_process_change_the_task_data() -> None:
    data = {"depot": "2026-01-01", "ancien": 1, "liste": [3, 1, 2]}
    SandboxEnvironment().execute(
        "echeance = ajouter_jours(depot, 30)\nliste = sorted(liste)\ndel ancien", data
    )
    assert data == {"depot": "2026-01-01", "echeance": "2026-01-31", "liste": [1, 2, 3]}


def test_errors_of_the_code_keep_their_kind() -> None:
    with pytest.raises(NameError):
        SandboxEnvironment().evaluate("inconnue(1)", {})
    with pytest.raises(ZeroDivisionError):
        SandboxEnvironment().evaluate("sum([1]) / 0", {})


def test_an_answer_can_only_carry_plain_data() -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    with pytest.raises(wire.WireError):
        wire.decode_untrusted(wire.encode(Evil())[wire.HEADER.size :])


def test_instructions_render_in_the_sandbox() -> None:
    assert client.render("Délai : {{ n }} jours", {"n": 30}, 1.0) == "Délai : 30 jours"
    with pytest.raises(ScriptError, match="dépassé le temps autorisé"):
        client.render(
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
            {},
            0.5,
        )


@pytest.mark.parametrize(
    "source",
    [
        'decision == "refus"',
        "avis in ('favorable', 'ajournement') and not complet",
        "dossier['categorie'] != 'C'",
        "(delai or 30) - 7 > 1",
        "x if y else z",
        "duree_en_jours(max((delai or 30) - 7, 1))",
        'heure_de_paris(date_seance, "09:00")',
        "bool(mandat) and len(pieces) > 0",
    ],
)
def test_comparisons_of_process_data_are_cheap(source: str) -> None:
    assert cheap.is_cheap_expression(source)


@pytest.mark.parametrize(
    "source",
    [
        "pow(3, 10 ** 8)",
        "3 ** 100",
        "'%099d' % 1",
        "f'{x:>99}'",
        "x.upper()",
        "[y for y in x]",
        "a + b",
        "x * 2",
        "x[1:]",
        "lambda: 1",
        "pow(3, 10 ** 8)",
        "math.factorial(10)",
        "max(x, key=len)",
        "max(*x)",
        "sorted(x)",
        "str(x).ljust(10)",
    ],
)
def test_anything_else_goes_to_a_sandbox_process(source: str) -> None:
    assert not cheap.is_cheap_expression(source)


def test_cheap_scripts() -> None:
    assert cheap.is_cheap_script("tours = 0")
    assert cheap.is_cheap_script("tours = tours + 1\nif tours > 3:\n    bloque = True")
    assert cheap.is_cheap_script("n += 1")
    assert not cheap.is_cheap_script("while True: pass")
    assert not cheap.is_cheap_script("a = a + a")
    assert not cheap.is_cheap_script("n += x")
    assert not cheap.is_cheap_script("for i in x: pass")
    assert not cheap.is_cheap_script("x.y = 1")
    # A display would let a script double a value at each line: a = [a, a] ...
    assert not cheap.is_cheap_script("a = [a, a]")
    assert not cheap.is_cheap_script("a = str({'x': a, 'y': a})")
    assert cheap.is_cheap_script("mandat_fourni = False\nif depot:\n    mandat_fourni = bool(m)")


def test_a_sandbox_process_stopped_at_its_deadline_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="inventaire.sandbox"),
        pytest.raises(ScriptError),
    ):
        SandboxEnvironment(time_limit=0.3).evaluate("pow(3, 10 ** 8)", {})
    stopped = [record for record in caplog.records if record.name == "inventaire.sandbox"]
    assert stopped and "stopped (eval request)" in stopped[0].getMessage()
    assert "dépassé le temps autorisé" in stopped[0].getMessage()


def test_ctrl_c_in_a_terminal_leaves_the_sandbox_process_to_its_server() -> None:
    """A terminal's Ctrl+C reaches the whole process group: the server decides when its
    sandbox processes end (it closes their input), so they neither die nor print a traceback."""
    child = subprocess.Popen(
        [sys.executable, "-m", "engine.bpmn.sandbox.process", str(client.MEMORY_LIMIT_BYTES)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.stdout is not None and child.stdin is not None and child.stderr is not None
    assert child.stdout.read(4)  # the "ready" message's header: it is up
    child.send_signal(signal.SIGINT)
    child.stdin.close()  # the server goes: the process ends on its own
    assert child.wait(timeout=30) == 0
    assert b"Traceback" not in child.stderr.read()
    child.stdout.close()
    child.stderr.close()
