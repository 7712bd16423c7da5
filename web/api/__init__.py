"""The JSON API (`/api/v1`): the engine's operations for other systems, with bearer tokens.

Modules: `base` (blueprint, OpenAPI generator), `problems` (RFC 9457 errors), `access`
(tokens, scopes, rate limits), `conditional` (ETag, cursors), `idempotency`, and one module of
views per resource: `register`, `processes`, `dossiers`, `tasks`, `messages`, `webhooks`;
`docs_page` lists the operations. The views call the same engine functions as the pages.
"""

from __future__ import annotations

import os

from flask import Flask, request

from web.api import access, conditional
from web.api.base import bp, spec
from web.api.problems import Problem

JSON_TYPES = ("application/json", "application/problem+json", "application/merge-patch+json")


def _check_body() -> None:
    """A body the API cannot read is refused before any view: 415 or 400, in French."""
    if request.method not in ("POST", "PATCH", "PUT") or not request.content_length:
        return
    if request.mimetype == "multipart/form-data":
        return
    if request.mimetype not in JSON_TYPES:
        raise Problem(415)
    if request.get_json(silent=True) is None:
        raise Problem(400, "Le corps de la requête n'est pas du JSON valide.")


bp.before_request(access.load_caller)
bp.before_request(access.check_requirement)
bp.before_request(_check_body)
bp.after_request(conditional.with_etag)


def init_app(app: Flask) -> None:
    # Importing the views adds their routes to the blueprint.
    from web import csrf
    from web.api import (  # noqa: F401
        docs_page,
        dossiers,
        messages,
        processes,
        register,
        tasks,
        webhooks,
    )

    app.config.setdefault(
        "API_RATE_LIMIT_TOKEN", os.environ.get("INVENTAIRE_API_RATE_LIMIT_TOKEN", "600/minute")
    )
    app.config.setdefault(
        "API_RATE_LIMIT_ADDRESS",
        os.environ.get("INVENTAIRE_API_RATE_LIMIT_ADDRESS", "1200/minute"),
    )
    access.init_app(app)
    # The API reads no cookie (access.load_caller): a CSRF token would protect nothing.
    csrf.exempt(bp)
    app.register_blueprint(bp)
    spec.register(app)
