"""`Idempotency-Key` on the API's creating requests: a retried POST with the same key gets the
first answer again and changes nothing (per token; the key is stored in the same transaction as
what the request created, so a request that failed left no key and may be retried).

A key reused for another request (another address or body) is refused with 422. The same
request sent again while the first is still under way (another thread, another process) waits
for nothing: whichever commits first wins, and the other, refused (409) or beaten to the key's
row, answers with the winner's stored answer.

An answer holding a secret (a webhook subscription's signing key) is stored without it
(`kept`) and given it back on a replay (`restored`, which derives it again): the table never
holds a secret.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.core.models import IdempotencyKey
from web.api.models import MAX_KEY
from web.api.problems import Problem
from web.database import db

HEADER = "Idempotency-Key"
# What a view returns: (status, body, Location or None). It writes without committing.
Outcome = tuple[int, dict[str, Any], str | None]
Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


def _same(body: dict[str, Any]) -> dict[str, Any]:
    return body


def _answer(status: int, body: dict[str, Any], location: str | None, replay: bool) -> Response:
    response = current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype="application/json"
    )
    if location:
        response.headers["Location"] = location
    if replay:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _stored(token_id: int, key: str) -> IdempotencyKey | None:
    return db().scalar(
        select(IdempotencyKey).where(IdempotencyKey.token_id == token_id, IdempotencyKey.key == key)
    )


def _replay(
    row: IdempotencyKey, request_line: str, body_hash: str, restored: Rewrite = _same
) -> Response:
    if row.request != request_line or row.body_hash != body_hash:
        raise Problem(
            422,
            "Cette clé d'idempotence a déjà servi pour une autre requête\u00a0: "
            "choisissez-en une nouvelle.",
        )
    return _answer(row.status, restored(dict(row.response)), row.location, replay=True)


def once(
    run: Callable[[], Outcome], *, kept: Rewrite = _same, restored: Rewrite = _same
) -> Response:
    """Run a creating request, once per `Idempotency-Key` (when one is sent), then commit;
    `kept` is what is stored of the answer, `restored` makes a stored answer whole again."""
    key = request.headers.get(HEADER, "").strip()
    token_id: int | None = g.get("api_token")
    if not key or token_id is None:
        status, body, location = run()
        db().commit()
        return _answer(status, body, location, replay=False)
    if len(key) > MAX_KEY or not key.isprintable():
        raise Problem(400, f"La clé d'idempotence fait au plus {MAX_KEY} caractères imprimables.")
    request_line = f"{request.method} {request.path}"[:300]
    body_hash = hashlib.sha256(request.get_data()).hexdigest()
    found = _stored(token_id, key)
    if found is not None:
        return _replay(found, request_line, body_hash, restored)
    try:
        status, body, location = run()
    except Problem as problem:
        if problem.status != 409:
            raise
        # Refused because someone acted first: maybe the same request, sent again while the
        # first was under way (by another thread or process); then its answer is ours.
        db().rollback()
        found = _stored(token_id, key)
        if found is None:
            raise
        return _replay(found, request_line, body_hash, restored)
    db().add(
        IdempotencyKey(
            token_id=token_id,
            key=key,
            request=request_line,
            body_hash=body_hash,
            status=status,
            response=kept(body),
            location=location,
        )
    )
    try:
        db().commit()
    except IntegrityError:
        # The same key, at the same moment, from a retry that won: its answer, ours undone.
        db().rollback()
        found = _stored(token_id, key)
        if found is None:
            raise
        return _replay(found, request_line, body_hash, restored)
    return _answer(status, body, location, replay=False)
