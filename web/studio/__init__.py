"""Process owners: models, versions, the draft, the diagram editor, validation, deployment."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")

from web.studio import api, views  # noqa: E402, F401 - routes register on bp
