"""One HTTP POST to a receiver, with short timeouts, to the address checked against the
private addresses guard (engine/webhooks/addresses.py); redirects are not followed."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass
from time import perf_counter

from engine.core.settings import WebhookSettings
from engine.webhooks import addresses

# What is read of a receiver's answer: its status; the body only to close cleanly.
MAX_READ = 4096
USER_AGENT = "Inventaire-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    code: int | None
    duration_ms: int
    error: str | None
    # Refused before any connection (the address): trying again will not mend it.
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.error is None


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address; the Host header keeps the URL's name."""

    def __init__(self, host: str, port: int, address: str, settings: WebhookSettings) -> None:
        super().__init__(host, port, timeout=settings.connect_timeout)
        self._address = address
        self._read_timeout = settings.read_timeout

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHTTPS(_PinnedHTTP):
    """TLS to the checked address, the certificate checked against the URL's name (SNI)."""

    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)


def _shut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _failure(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return "Délai dépassé\u00a0: le récepteur n'a pas répondu."
    if isinstance(error, ConnectionRefusedError):
        return "Connexion refusée par le récepteur."
    if isinstance(error, ssl.SSLError):
        return f"Échec de la connexion TLS\u00a0: {error}"[:500]
    return f"Échec de la connexion ({type(error).__name__}\u00a0: {error})"[:500]


def post(url: str, body: bytes, headers: dict[str, str], settings: WebhookSettings) -> Outcome:
    started = perf_counter()

    def elapsed() -> int:
        return int((perf_counter() - started) * 1000)

    try:
        target = addresses.parse(url)
        address = addresses.checked_address(target, settings.allow_private)
    except addresses.AddressRefused as error:
        return Outcome(None, elapsed(), error.user_message, refused=True)
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target.host, target.port, str(address), settings)
    # A receiver that answers a byte at a time stays under the read timeout: the whole
    # attempt has its own deadline, past which its socket is shut.
    cut = threading.Event()
    deadline = threading.Timer(settings.total_timeout, _shut, [connection, cut])
    deadline.daemon = True
    deadline.start()
    code: int | None = None
    failure: str | None = None
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        response = connection.getresponse()
        response.read(MAX_READ)
        code = response.status
    except (OSError, http.client.HTTPException) as error:
        failure = _failure(error)
    finally:
        deadline.cancel()
        connection.close()
    if cut.is_set():
        return Outcome(
            None, elapsed(), "Délai dépassé\u00a0: le récepteur a répondu trop lentement."
        )
    if failure is not None or code is None:
        return Outcome(None, elapsed(), failure or "Réponse illisible du récepteur.")
    if 200 <= code < 300:
        return Outcome(code, elapsed(), None)
    if 300 <= code < 400:
        return Outcome(code, elapsed(), f"Redirection non suivie (HTTP {code}).")
    return Outcome(code, elapsed(), f"Le récepteur a répondu HTTP {code}.")
