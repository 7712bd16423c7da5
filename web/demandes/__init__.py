"""Submitters: Mes demandes, Nouvelle demande (multi-page draft), the dossier, complements."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("demandes", __name__, url_prefix="/demandes")

from web.demandes import views  # noqa: E402, F401 - routes register on bp
