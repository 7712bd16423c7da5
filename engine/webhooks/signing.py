"""Signing a delivery, and checking a signature the way a receiver does.

Each subscription has its own secret: HMAC-SHA256 of a random nonce (kept in the row) under
the server's secret key (`EngineSettings.link_secret`). The database alone does not give the
secrets (a copy of it cannot forge a delivery), yet the worker can always sign; changing the
server's key changes every subscription's secret (docs/webhooks.md).

The signature is HMAC-SHA256 of `"<timestamp>.<body>"` under that secret, sent as
`Inventaire-Signature: t=<timestamp>,v1=<hex>`: the timestamp is signed with the body, so a
receiver that refuses old timestamps refuses a replayed delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from engine.core.errors import InventaireError

SIGNATURE_HEADER = "Inventaire-Signature"
DELIVERY_HEADER = "Inventaire-Delivery"
EVENT_HEADER = "Inventaire-Event"
# How old a signed timestamp a receiver should accept (docs/webhooks.md).
DEFAULT_TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"


class MissingServerKey(InventaireError):
    http_status = 503


def new_nonce() -> str:
    return secrets.token_hex(32)


def subscription_secret(server_key: str, nonce: str) -> str:
    """The secret the subscriber was shown once, derived again whenever it is needed."""
    if not server_key:
        raise MissingServerKey(
            "La clé secrète du serveur n'est pas configurée\u00a0: les webhooks ne peuvent "
            "pas être signés (INVENTAIRE_SECRET_KEY)."
        )
    digest = hmac.new(server_key.encode(), f"webhook:{nonce}".encode(), hashlib.sha256)
    return SECRET_PREFIX + digest.hexdigest()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does (docs/webhooks.md gives the same function to copy): the header's
    timestamp within `tolerance` seconds of `now`, and one of its `v1` signatures right."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for name, value in parts if name.strip() == "t"]
    signatures = [value.strip() for name, value in parts if name.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in signatures)
