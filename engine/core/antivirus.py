"""The antivirus hook: every uploaded file is handed to a scanner before it is kept.

The scanner we ship talks to ClamAV's daemon (`clamd`) over its socket with the INSTREAM
command, written here from clamd's protocol (clamd(8)): `zINSTREAM\\0`, then the file in
chunks each preceded by its length (4 bytes, big-endian), then a zero length; clamd answers
`stream: OK`, `stream: <signature> FOUND` or `<reason> ERROR`, ended by `\\0`.

`INVENTAIRE_CLAMD` names the daemon: a unix socket's path (`/run/clamav/clamd.ctl`) or
`host:port`. When it cannot be reached (or answers an error) the upload is refused (fail
closed) unless the operator chose to accept unscanned files (`INVENTAIRE_CLAMD_FAIL_OPEN=1`);
docs/security.md says why.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# clamd's default StreamMaxLength is 25 MB; the pieces' own limit (20 MB by default) is below.
CHUNK_BYTES = 64 * 1024
REPLY_LIMIT = 4096


class AntivirusUnavailable(Exception):
    """The scanner could not give a verdict (unreachable, timed out, an error answered)."""


@dataclass(frozen=True)
class Verdict:
    """What the scanner found: None (clean) or the name of the signature that matched."""

    signature: str | None = None

    @property
    def infected(self) -> bool:
        return self.signature is not None


class Scanner(Protocol):
    def scan(self, content: bytes) -> Verdict:
        """The verdict on these bytes; AntivirusUnavailable when none can be given."""
        ...


@dataclass(frozen=True)
class ClamdScanner:
    """A client of clamd's INSTREAM command, one connection per file."""

    address: str
    timeout: float = 30.0

    def scan(self, content: bytes) -> Verdict:
        try:
            with self._connect() as connection:
                connection.sendall(b"zINSTREAM\0")
                for start in range(0, len(content), CHUNK_BYTES):
                    chunk = content[start : start + CHUNK_BYTES]
                    connection.sendall(struct.pack(">I", len(chunk)) + chunk)
                connection.sendall(struct.pack(">I", 0))
                reply = _read_reply(connection)
        except OSError as error:  # refused, no such socket, timed out, reset
            raise AntivirusUnavailable(f"clamd at {self.address}: {error}") from error
        return parse_reply(reply)

    def ping(self) -> bool:
        """Whether clamd answers PING with PONG."""
        try:
            with self._connect() as connection:
                connection.sendall(b"zPING\0")
                return _read_reply(connection) == "PONG"
        except OSError:
            return False

    def _connect(self) -> socket.socket:
        family, target = parse_address(self.address)
        connection = socket.socket(family, socket.SOCK_STREAM)
        connection.settimeout(self.timeout)
        try:
            connection.connect(target)
        except OSError:
            connection.close()
            raise
        return connection


def parse_address(address: str) -> tuple[socket.AddressFamily, str | tuple[str, int]]:
    """(family, target) of `/path/to/socket`, `unix:/path`, `host:port` or `[v6]:port`."""
    value = address.strip()
    if value.startswith("unix:"):
        value = value[len("unix:") :]
    if value.startswith("/") or Path(value).suffix in (".ctl", ".sock"):
        return socket.AF_UNIX, value
    host, separator, port = value.rpartition(":")
    if not separator or not port.isdigit() or not host:
        raise ValueError(
            f"INVENTAIRE_CLAMD={address!r}: expected a socket's path or host:port (127.0.0.1:3310)."
        )
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, int(port))


def parse_reply(reply: str) -> Verdict:
    """The verdict in clamd's answer to INSTREAM; AntivirusUnavailable for an error."""
    text = reply.strip()
    if text.endswith(" FOUND"):
        name = text.removeprefix("stream:").removesuffix(" FOUND").strip()
        return Verdict(signature=name or "inconnue")
    if text == "stream: OK":
        return Verdict()
    raise AntivirusUnavailable(f"clamd answered {text[:200]!r}")


def _read_reply(connection: socket.socket) -> str:
    received = b""
    while b"\0" not in received and len(received) < REPLY_LIMIT:
        chunk = connection.recv(REPLY_LIMIT)
        if not chunk:
            break
        received += chunk
    return received.split(b"\0", 1)[0].decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Antivirus:
    """The hook as the operator configured it: the scanner, where refused files are kept, and
    whether a file is accepted unscanned when the scanner cannot answer (fail open)."""

    scanner: Scanner
    quarantine_dir: Path
    fail_open: bool = False
