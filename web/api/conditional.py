"""Conditional requests and opaque cursors.

Every JSON answer to a GET carries a strong `ETag` (a hash of its body) and answers
`If-None-Match` with 304. A cursor is a small JSON object, base64url-encoded: clients pass it
back as they got it, and one that was altered is a 400 problem, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from flask import Response, g, request

from web.api.problems import Problem
from web.http_cache import validated

BAD_CURSOR = "Ce curseur n'est pas valide\u00a0: reprenez celui qu'une réponse précédente a donné."


def with_etag(response: Response) -> Response:
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.mimetype != "application/json" or response.direct_passthrough:
        return response
    etag = hashlib.sha256(response.get_data()).hexdigest()[:40]
    return validated(response, etag, public=g.get("actor") is None, vary="Authorization")


def encode_cursor(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str | None, *keys: str) -> dict[str, Any] | None:
    """The cursor's members (`keys` must all be there); None for no cursor."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise Problem(400, BAD_CURSOR) from error
    if not isinstance(value, dict) or any(key not in value for key in keys):
        raise Problem(400, BAD_CURSOR)
    return value


def offset_of(text: str | None, limit: int = 1_000_000) -> int:
    """An offset cursor (the lists sorted as the pages sort them)."""
    value = decode_cursor(text, "o")
    if value is None:
        return 0
    offset = value["o"]
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= limit:
        raise Problem(400, BAD_CURSOR)
    return offset
