"""A real ClamAV daemon (Debian's clamav-daemon) started by the tests, in the foreground, with
its own configuration and a signature database the tests write: freshclam cannot download
ClamAV's here, so the one signature is EICAR's test string, matched anywhere in a file."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.core.antivirus import ClamdScanner

# The EICAR anti-malware test file (eicar.org): harmless, detected by every antivirus.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Inventaire-Test-Eicar"
START_SECONDS = 120.0


def clamd_binary() -> str | None:
    return shutil.which("clamd", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin")


@dataclass(frozen=True)
class Clamd:
    socket_path: str
    tcp_address: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_clamd(folder: Path) -> Iterator[Clamd]:
    """clamd on a unix socket in `folder` and on 127.0.0.1 (a port found free), until the
    block ends; the test is skipped when clamd is not installed."""
    binary = clamd_binary()
    if binary is None:
        pytest.skip("clamd is not installed (Debian: apt-get install clamav-daemon)")
    database = folder / "signatures"
    database.mkdir()
    # A body signature (.ndb): name, any file type (0), any offset (*), the bytes in hex.
    (database / "inventaire-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    socket_path = folder / "clamd.sock"
    port = _free_port()
    config = folder / "clamd.conf"
    config.write_text(
        "\n".join(
            (
                "Foreground yes",
                f"DatabaseDirectory {database}",
                f"LocalSocket {socket_path}",
                f"TCPSocket {port}",
                "TCPAddr 127.0.0.1",
                f"TemporaryDirectory {folder}",
                f"LogFile {folder / 'clamd.log'}",
                f"PidFile {folder / 'clamd.pid'}",
                "",
            )
        )
    )
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        scanner = ClamdScanner(str(socket_path), timeout=5)
        deadline = time.monotonic() + START_SECONDS
        while not scanner.ping():
            if process.poll() is not None or time.monotonic() > deadline:
                log = folder / "clamd.log"
                raise AssertionError(
                    f"clamd did not start: {log.read_text() if log.exists() else 'no log'}"
                )
            time.sleep(0.2)
        yield Clamd(str(socket_path), f"127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
