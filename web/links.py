"""The addresses of our pages written in emails (engine.core.settings.Links), built from the
app's own routes and its public address (INVENTAIRE_BASE_URL).

Emails are rendered in a request and in the worker, outside any: the builder needs no request
(werkzeug's URL map bound once to the public address), so both write the same addresses,
never the host a request happened to come through.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from werkzeug.routing import Map, MapAdapter


class WebLinks:
    def __init__(self, url_map: Map, base_url: str) -> None:
        parts = urlsplit(base_url.strip())
        # Routes registered after this (the blueprints) are found: the adapter reads the map.
        self._adapter: MapAdapter = url_map.bind(
            parts.netloc or "localhost",
            script_name=parts.path.rstrip("/") or "/",
            url_scheme=parts.scheme or "http",
        )

    def _build(self, endpoint: str, **values: Any) -> str:
        return self._adapter.build(endpoint, values, force_external=True)

    def dossier(self, instance_id: int, *, submitter: bool) -> str:
        if submitter:
            return self._build("demandes.dossier", instance_id=instance_id)
        return self._build("instruction.dossier", instance_id=instance_id)

    def fiche(self, numero: str) -> str:
        return self._build("registre.fiche", numero=numero)

    def sign_in(self) -> str:
        return self._build("auth.login")

    def password_reset(self, token: str) -> str:
        return self._build("auth.reset_password", token=token)

    def avis_expert(self, token: str) -> str:
        return self._build("avis_expert.lien", token=token)
