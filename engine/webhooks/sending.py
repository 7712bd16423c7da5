"""One HTTP POST to a receiver, with short timeouts, to the address checked against the
private addresses guard (engine/webhooks/addresses.py); redirects are not followed."""

from __future__ import annotations

import http.client
import socket
import ssl
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
    except TimeoutError:
        return Outcome(None, elapsed(), "Délai dépassé\u00a0: le récepteur n'a pas répondu.")
    except ConnectionRefusedError:
        return Outcome(None, elapsed(), "Connexion refusée par le récepteur.")
    except ssl.SSLError as error:
        return Outcome(None, elapsed(), f"Échec de la connexion TLS\u00a0: {error}"[:500])
    except (OSError, http.client.HTTPException) as error:
        return Outcome(
            None, elapsed(), f"Échec de la connexion ({type(error).__name__}\u00a0: {error})"[:500]
        )
    finally:
        connection.close()
    if 200 <= code < 300:
        return Outcome(code, elapsed(), None)
    if 300 <= code < 400:
        return Outcome(code, elapsed(), f"Redirection non suivie (HTTP {code}).")
    return Outcome(code, elapsed(), f"Le récepteur a répondu HTTP {code}.")
