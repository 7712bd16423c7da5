"""*Mes absences*: an agent declares an absence and its suppléant."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("absences", __name__, url_prefix="/absences")

from web.absences import views  # noqa: E402, F401 - routes register on bp
