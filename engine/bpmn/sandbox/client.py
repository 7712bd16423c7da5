"""The server's side of the sandbox processes: a pool of them, a deadline on every request.

Each request goes to an idle sandbox process (`engine.bpmn.sandbox.process`), started when none
is idle and kept afterwards, so the common case costs a round trip on a pipe (tens of
microseconds), not a process start. The server waits for the answer until the deadline, then
kills the process: a runaway evaluation ends there, whatever it was doing, and the server never
shared its interpreter lock or its memory with it. A process that broke a limit is never reused.
"""

from __future__ import annotations

import atexit
import builtins
import logging
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from engine.bpmn.sandbox import wire
from engine.bpmn.sandbox.variables import MAX_RESULT_BYTES, is_plain_data
from engine.core.errors import ScriptError

log = logging.getLogger("inventaire.sandbox")

MEMORY_LIMIT_BYTES = 512 * 1024 * 1024
# Answers are small (variables, a boolean, a text); a bigger frame is refused unread.
MAX_ANSWER_BYTES = 2 * MAX_RESULT_BYTES
# A process starts in about 0.1 s; under load it may take longer, and that is not the code's time.
STARTUP_SECONDS = 30.0
MAX_IDLE = 4
_PROJECT_ROOT = Path(__file__).resolve().parents[3]

# The errors a diagram's code may raise, rebuilt by name for the messages (others: RuntimeError).
_ERRORS: dict[str, type[Exception]] = {
    name: getattr(builtins, name)
    for name in (
        "NameError",
        "TypeError",
        "ValueError",
        "KeyError",
        "IndexError",
        "AttributeError",
        "ZeroDivisionError",
        "ArithmeticError",
        "OverflowError",
        "LookupError",
        "UnboundLocalError",
        "AssertionError",
        "SyntaxError",
    )
}


class _Broken(Exception):
    """The process cannot be used any more (killed, crashed, or it sent garbage)."""


def _timeout_message(seconds: float) -> str:
    return (
        f"Le code du diagramme a dépassé le temps autorisé ({seconds:g} s)\u202f; il a été arrêté."
    )


LIMITS_MESSAGE = (
    "Le code du diagramme a dépassé les limites de son bac à sable (calcul ou mémoire)\u202f; "
    "il a été arrêté."
)


class _SandboxProcess:
    def __init__(self) -> None:
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(_PROJECT_ROOT), *filter(None, [environment.get("PYTHONPATH")])]
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.bpmn.sandbox.process", str(MEMORY_LIMIT_BYTES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
            cwd=_PROJECT_ROOT,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests = self.process.stdin.fileno()
        self.answers = self.process.stdout.fileno()
        os.set_blocking(self.answers, False)
        self.ready = False

    def call(self, request: tuple[Any, ...], seconds: float) -> tuple[Any, ...]:
        if not self.ready:
            self._read(time.monotonic() + STARTUP_SECONDS)
            self.ready = True
        try:
            wire.write_all(self.requests, wire.encode(request))
        except OSError:
            raise _Broken(LIMITS_MESSAGE) from None
        return self._read(time.monotonic() + seconds, seconds)

    def _read(self, deadline: float, seconds: float | None = None) -> tuple[Any, ...]:
        header = self._read_bytes(wire.HEADER.size, deadline, seconds)
        (size,) = wire.HEADER.unpack(header)
        if size > MAX_ANSWER_BYTES:
            raise _Broken(
                "Le résultat du code du diagramme est trop volumineux\u202f; il a été refusé."
            )
        body = self._read_bytes(size, deadline, seconds)
        try:
            answer = wire.decode_untrusted(body)
        except wire.WireError as error:
            raise _Broken(f"Réponse du bac à sable refusée\u00a0: {error}.") from None
        if not isinstance(answer, tuple) or len(answer) < 3:
            raise _Broken("Réponse du bac à sable refusée.")
        return answer

    def _read_bytes(self, size: int, deadline: float, seconds: float | None) -> bytes:
        chunks: list[bytes] = []
        missing = size
        poller = select.poll()
        poller.register(self.answers, select.POLLIN)
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                if seconds is None:
                    raise _Broken("Le bac à sable n'a pas démarré.")
                raise _Broken(_timeout_message(seconds))
            try:
                chunk = os.read(self.answers, min(missing, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise _Broken(LIMITS_MESSAGE)
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Let it end on its own (end of its input), or kill it if it was busy."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class SandboxPool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_SandboxProcess] = []
        self._pid = os.getpid()

    def call(self, request: tuple[Any, ...], seconds: float) -> tuple[Any, ...]:
        worker = self._take()
        try:
            answer = worker.call(request, seconds)
        except _Broken as broken:
            log.warning(
                "Sandbox process %s stopped (%s request): %s",
                worker.process.pid,
                request[0],
                broken,
                extra={"sandbox_pid": worker.process.pid, "request": request[0]},
            )
            worker.close()
            raise ScriptError(str(broken)) from None
        except BaseException:
            worker.close()
            raise
        if answer[-1]:  # it ran out of memory once: a fresh one next time
            log.warning("Sandbox process %s ran out of memory: retired", worker.process.pid)
            worker.close()
        else:
            self._give_back(worker)
        return answer

    def warm(self) -> None:
        """Start a process ahead of the first request (it starts while the server does)."""
        with self._lock:
            self._forget_after_fork()
            if self._idle:
                return
        self._give_back(_SandboxProcess())

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()

    def _take(self) -> _SandboxProcess:
        with self._lock:
            self._forget_after_fork()
            if self._idle:
                return self._idle.pop()
        return _SandboxProcess()

    def _give_back(self, worker: _SandboxProcess) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE and self._pid == os.getpid():
                self._idle.append(worker)
                return
        worker.close()

    def _forget_after_fork(self) -> None:
        # A forked server process must not share its parent's pipes: it starts its own.
        if self._pid != os.getpid():
            self._idle = []
            self._pid = os.getpid()


POOL = SandboxPool()
atexit.register(POOL.shutdown)


def _result(answer: tuple[Any, ...]) -> Any:
    status = answer[0]
    if status == "ok":
        return answer[1]
    if status == "refused":
        raise ScriptError(str(answer[1]))
    if status == "error":
        name, message = str(answer[1]), str(answer[2])
        raise _ERRORS.get(name, RuntimeError)(message if name in _ERRORS else f"{name}: {message}")
    raise ScriptError("Réponse du bac à sable refusée.")


def evaluate(
    source: str, context: dict[str, Any], external: dict[str, Any] | None, seconds: float
) -> Any:
    """The value of an expression, computed in a sandbox process within `seconds`."""
    return _result(POOL.call(("eval", source, context, dict(external or {}), seconds), seconds))


def execute(
    source: str, context: dict[str, Any], external: dict[str, Any] | None, seconds: float
) -> dict[str, Any]:
    """The process variables after running a script in a sandbox process within `seconds`."""
    variables = _result(
        POOL.call(("exec", source, context, dict(external or {}), seconds), seconds)
    )
    if not isinstance(variables, dict) or not is_plain_data(variables):
        raise ScriptError("Le script du diagramme a rendu autre chose que des données simples.")
    return variables


def render(template: str, data: dict[str, Any], seconds: float) -> str:
    """A task's instructions (a Jinja template) filled from the process variables."""
    text = _result(POOL.call(("render", template, data, {}, seconds), seconds))
    if not isinstance(text, str):
        raise ScriptError("Les instructions n'ont pas donné de texte.")
    return text


def warm() -> None:
    POOL.warm()


def shutdown() -> None:
    """Stop the idle sandbox processes (a server's parent before it forks its workers)."""
    POOL.shutdown()
