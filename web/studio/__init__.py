"""Process owners: models, versions, the draft, the diagram editor, validation, deployment."""

from __future__ import annotations

import re

from flask import Blueprint, abort, request

bp = Blueprint("studio", __name__, url_prefix="/studio")
MODEL_KEY = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@bp.before_request
def _known_shape_of_key() -> None:
    """A model key is a short identifier: anything else (NUL bytes, slashes…) is not found."""
    key = (request.view_args or {}).get("key")
    if key is not None and not MODEL_KEY.match(key):
        abort(404)


from web.studio import api, views  # noqa: E402, F401 - routes register on bp
