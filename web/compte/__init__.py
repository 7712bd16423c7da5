"""*Mon compte*: what the signed-in person sees of their account, and the download of what
the platform holds about them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("compte", __name__, url_prefix="/compte")

from web.compte import tokens, views  # noqa: E402, F401 - routes register on bp
