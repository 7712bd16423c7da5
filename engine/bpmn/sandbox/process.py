"""The sandbox process: runs diagram code for the server, under hard limits of its own.

Started by `engine.bpmn.sandbox.client` (`python -m engine.bpmn.sandbox.process MEMORY_BYTES`),
it answers requests read on its standard input until the server closes the pipe. Code runs
here, not in the server, because a loop on one line or one heavy built-in call (`pow(3, 10**8)`
holds the interpreter lock) cannot be interrupted from inside a Python process: here the server
stops waiting at the deadline and kills us. Our own limits are the second line: an
address-space cap (a huge string fails with MemoryError instead of taking the machine's
memory), a CPU-time cap renewed for each request (SIGXCPU kills us if the server is gone), no
file writes, no core.
"""

from __future__ import annotations

import math
import os
import resource
import signal
import sys
from functools import lru_cache
from typing import Any

from jinja2 import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.bpmn.sandbox import wire
from engine.bpmn.sandbox.policy import compile_expression, compile_script, namespace_for
from engine.bpmn.sandbox.variables import MEMORY_MESSAGE, check_result_size, script_variables
from engine.core.errors import ScriptError
from engine.core.typography import TEXT_FILTERS

# Rendered instructions are a paragraph or a list for a person to read.
MAX_RENDERED_CHARS = 100_000
_TEMPLATES = ImmutableSandboxedEnvironment(autoescape=False)
# Dates and numbers in French: `{{ date_seance | date_fr }}` (engine.core.typography).
_TEMPLATES.filters.update(TEXT_FILTERS)


def _apply_limits(memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _allow_cpu(seconds: float) -> None:
    """CPU time is counted from the process's start: allow what is used plus this request's."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


@lru_cache(maxsize=256)
def _template(text: str) -> Template:
    return _TEMPLATES.from_string(text)


def _run(kind: str, source: str, context: dict[str, Any], external: dict[str, Any]) -> Any:
    if kind == "eval":
        code = compile_expression(source)
        value = eval(code, namespace_for(context, external))
        check_result_size(value)
        return value
    if kind == "exec":
        code = compile_script(source)
        namespace = namespace_for(context, external)
        exec(code, namespace)
        variables = script_variables(namespace, context, external)
        check_result_size(variables)
        return variables
    if kind == "render":
        text = _template(source).render(**context)
        if len(text) > MAX_RENDERED_CHARS:
            raise ScriptError(
                f"Les instructions produisent un texte trop long ({MAX_RENDERED_CHARS} caractères "
                "au plus)."
            )
        return text
    raise ValueError(f"unknown request {kind!r}")


def answer(request: tuple[str, str, dict[str, Any], dict[str, Any], float]) -> tuple[Any, ...]:
    """("ok", value) | ("refused", French message) | ("error", type name, message).

    A last element True asks the server to retire this process (its memory ran out once).
    """
    kind, source, context, external, seconds = request
    _allow_cpu(seconds)
    try:
        return ("ok", _run(kind, source, context, external), False)
    except ScriptError as error:
        return ("refused", error.user_message, False)
    except MemoryError:
        return ("refused", MEMORY_MESSAGE, True)
    except RecursionError:
        return ("refused", "Le code du diagramme s'appelle lui-même trop profondément.", False)
    except Exception as error:
        return ("error", type(error).__name__, str(error)[:500], False)


def serve(requests: int, answers: int) -> None:
    wire.write_all(answers, wire.encode(("ready", os.getpid(), False)))
    while True:
        header = wire.read_exactly(requests, wire.HEADER.size)
        if header is None:
            return  # the server closed the pipe (or is gone)
        (size,) = wire.HEADER.unpack(header)
        body = wire.read_exactly(requests, size)
        if body is None:
            return
        reply = answer(wire.decode_trusted(body))
        try:
            message = wire.encode(reply)
        except MemoryError:
            message = wire.encode(("refused", MEMORY_MESSAGE, True))
        except Exception as error:
            message = wire.encode(
                ("refused", f"Résultat non transmissible ({type(error).__name__}).", False)
            )
        wire.write_all(answers, message)
        if reply[-1]:
            return


def main() -> None:
    # Ctrl+C in a terminal reaches the whole process group: the server decides when we end
    # (it closes our input, or kills us at a deadline), so the interrupt is not ours to take.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    memory_bytes = int(sys.argv[1])
    # Answers go to a private copy of the standard output; anything else printed goes nowhere.
    answers = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    _apply_limits(memory_bytes)
    serve(0, answers)


if __name__ == "__main__":
    main()
