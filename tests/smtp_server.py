"""A small real SMTP server for tests: it speaks enough of RFC 5321 for smtplib and keeps
every message it receives."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import Message


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test SMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-test")
                self.reply("250 8BITMIME")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 Fin par <CRLF>.<CRLF>")
                self.server.received.append(
                    message_from_bytes(self._read_data(), policy=policy.default)
                )
                self.reply("250 Reçu")
            elif verb == "QUIT":
                self.reply("221 Au revoir")
                return
            else:
                self.reply("502 Non géré")

    def _read_data(self) -> bytes:
        lines = []
        while True:
            line = self.rfile.readline()
            if line in (b".\r\n", b".\n", b""):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    received: list[Message]


@contextmanager
def smtp_server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Session)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
