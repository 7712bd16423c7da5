"""Administrators: accounts, organisations, roles; incidents for process owners too."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from web.admin import operations, tokens, views, webhooks  # noqa: E402, F401 - routes register on bp
