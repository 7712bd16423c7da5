"""What travels between the server and its sandbox processes, and how it is read back.

A message is a 4-byte length then a pickle. The server's requests are its own data; the answers
come from a process that ran code written by others, so they are read with a bounded length and
an unpickler that can build nothing but plain data and dates (pickle's own way to restrict what
it loads: `find_class` refuses every other global).
"""

from __future__ import annotations

import datetime
import io
import os
import pickle
import struct
from typing import Any

HEADER = struct.Struct(">I")
PROTOCOL = pickle.HIGHEST_PROTOCOL

# The only globals an answer may name: what plain data and dates are made of.
_ALLOWED_GLOBALS = {
    ("datetime", "date"): datetime.date,
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
}


class WireError(Exception):
    """An answer that cannot be read (a broken pipe, a frame too large, a forbidden global)."""


class _DataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise WireError(f"{module}.{name} n'est pas une donnée simple")
        return allowed


def encode(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=PROTOCOL)
    return HEADER.pack(len(body)) + body


def decode_trusted(body: bytes) -> Any:
    """A request from the server (read by the sandbox process)."""
    return pickle.loads(body)


def decode_untrusted(body: bytes) -> Any:
    """An answer from a sandbox process (read by the server)."""
    try:
        return _DataUnpickler(io.BytesIO(body)).load()
    except WireError:
        raise
    except Exception as error:
        raise WireError(f"réponse illisible ({type(error).__name__})") from None


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exactly(fd: int, size: int) -> bytes | None:
    """`size` bytes from a blocking descriptor; None at end of file."""
    chunks = []
    missing = size
    while missing:
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
