"""The public register: search, the fiche of each certification, downloads. No login."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("registre", __name__, url_prefix="/registre")

from web.registre import actions, downloads, views  # noqa: E402, F401 - routes register on bp
