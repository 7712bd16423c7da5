"""The token of an expert's link: derived from a random nonce kept on the invitation and the
platform's secret (HMAC-SHA256), so that the database holds neither the token nor enough to
make it (only its SHA-256, to find the invitation by it), while the reminder's email can write
the same link again. A new secret key kills every link given before."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from engine.core.errors import ExecutionError

# Tokens are URL-safe hexadecimal: 64 characters; anything else is not one of ours.
TOKEN_LENGTH = 64


def new_nonce() -> str:
    return secrets.token_hex(32)


def token_for(secret: str, invitation_id: int, nonce: str) -> str:
    if not secret:
        raise ExecutionError(
            "Aucune clé secrète n'est configurée\u00a0: le lien d'un expert ne peut être fait."
        )
    message = f"avis-expert:{invitation_id}:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    return len(text) == TOKEN_LENGTH and all(ch in "0123456789abcdef" for ch in text)
