"""Reviewers: the Bannette, task pages, claiming, designation, decisions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("instruction", __name__, url_prefix="/instruction")

from web.instruction import views  # noqa: E402, F401 - routes register on bp
