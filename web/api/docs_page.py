"""The browsable description of the API, from our own origin: the operations of the OpenAPI
document listed on a page of the site (no script, no CDN)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, render_template

from web.api.base import bp, spec

METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> list[dict[str, Any]]:
    found = []
    for path, item in spec.spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tags": operation.get("tags", []),
                    "parameters": operation.get("parameters", []),
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    return found


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document, generated from the views and their models."""
    return current_app.response_class(
        json.dumps(spec.spec, ensure_ascii=False), mimetype="application/json"
    )


@bp.get("/")
def documentation() -> str:
    return render_template("api/documentation.html", operations=operations())
