"""*Statistiques*: the public figures (per year) and the secretariat's (by status and step)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("statistiques", __name__, url_prefix="/statistiques")

from web.statistiques import views  # noqa: E402, F401 - routes register on bp
