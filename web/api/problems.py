"""Errors of the JSON API as RFC 9457 problem details (`application/problem+json`), in French.

`Problem` is raised by the API's views and hooks; `problem_response` answers any error on an
/api/ address (the app's error handlers send those here): never an HTML page, never a trace.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from web.errors import MESSAGES, TITLES

PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"
API_MESSAGES = {
    **MESSAGES,
    401: "Un jeton d'accès valide est nécessaire (en-tête «\u00a0Authorization: Bearer …\u00a0»).",
    403: "Votre jeton ou votre compte ne permet pas cette action.",
    404: "La ressource demandée n'existe pas ou vous n'y avez pas accès.",
    405: "Cette méthode n'est pas possible sur cette adresse.",
    413: "Le corps de la requête est trop volumineux.",
    415: "Le corps de la requête doit être du JSON (Content-Type: application/json).",
    429: "Trop de requêtes en peu de temps\u00a0: réessayez après le délai indiqué.",
}
API_TITLES = {**TITLES, 404: "Ressource introuvable", 415: "Type de contenu refusé"}


class Problem(Exception):
    """An API error: its status, French detail, and optional members (`erreurs`…)."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **members: Any,
    ) -> None:
        super().__init__(detail or API_MESSAGES.get(status, ""))
        self.status = status
        self.detail = detail or API_MESSAGES.get(status, "Une erreur s'est produite.")
        self.headers = headers or {}
        self.members = members


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> Response:
    body = {
        "type": "about:blank",
        "title": API_TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail or API_MESSAGES.get(status, "Une erreur s'est produite."),
        "instance": request.path,
        **members,
    }
    response = current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype=MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_problem(error: Problem) -> Response:
    return problem_response(error.status, error.detail, headers=error.headers, **error.members)
