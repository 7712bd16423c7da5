"""`inventaire run` as an operator starts it: on `--port 0` it says the address it really serves
on; a port already taken gets a French sentence, never a traceback."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEVER = 120.0  # seconds: only a bound for a server that would never answer, never asserted
ANNOUNCE = re.compile(
    r"^Inventaire en service sur (http://127\.0\.0\.1:(\d+)) \(avec un travailleur intégré\)$"
)


def environment(tmp_path: Path) -> dict[str, str]:
    """A scratch SQLite file (created, migrated and given the demo on first start); the pieces
    and the secret given, so nothing is written to the repository's instance folder."""
    return {
        **os.environ,
        "INVENTAIRE_DATABASE_URL": f"sqlite:///{tmp_path / 'inventaire.sqlite3'}",
        "INVENTAIRE_SECRET_KEY": "cli-run-test",
        "INVENTAIRE_UPLOAD_DIR": str(tmp_path / "pieces"),
    }


class Running:
    """`inventaire run` in its own process; its standard output read in a thread, so a server
    that never says anything fails the test instead of hanging it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.process = process
        self._stdout = process.stdout
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put("")  # the process closed its output

    def next_line(self) -> str:
        """The next line it prints; "" once it has stopped."""
        return self._lines.get(timeout=NEVER)

    def stop(self) -> None:
        """Ctrl+C (SIGINT), as an operator stops it."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=NEVER)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=NEVER)
        self._stdout.close()


@contextmanager
def inventaire_run(tmp_path: Path, *args: str) -> Iterator[Running]:
    """`inventaire run ARGS`, its log lines kept in stderr.txt, stopped at the end."""
    with (tmp_path / "stderr.txt").open("w") as stderr:
        running = Running(
            subprocess.Popen(
                [sys.executable, "-m", "web.cli", "run", *args],
                cwd=ROOT,
                env=environment(tmp_path),
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        )
        try:
            yield running
        finally:
            running.stop()


def announced_address(server: Running) -> str:
    """The first line it prints that names an address."""
    while True:
        line = server.next_line()
        assert line, "the server stopped before saying where it serves"
        if "http://" in line:
            return line


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=NEVER) as response:
        return response.status, response.read().decode()


def test_run_on_port_0_says_the_address_it_serves_on(tmp_path: Path) -> None:
    with inventaire_run(tmp_path, "--port", "0") as server:
        line = announced_address(server)
        found = ANNOUNCE.match(line)
        assert found, line
        url, port = found.groups()
        assert int(port) != 0
        # Bound before it was announced: the first request is answered.
        assert get(f"{url}/sante") == (200, '{"statut": "en service"}')


def test_run_on_a_port_already_taken_says_so_in_french(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with inventaire_run(tmp_path, "--port", str(port)) as server:
            out = list(iter(server.next_line, ""))
            assert server.process.wait(timeout=NEVER) == 1
    errors = (tmp_path / "stderr.txt").read_text()
    assert f"Impossible d'écouter sur 127.0.0.1:{port}\u00a0: " in errors
    assert not any("en service" in line for line in out), out
    assert "Traceback" not in errors
