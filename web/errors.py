"""Every error becomes a French page with the right status; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.core.errors import InventaireError
from engine.core.settings import EngineSettings

log = logging.getLogger("inventaire.web.errors")

TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Action déjà effectuée",
    413: "Envoi trop volumineux",
    422: "Traitement impossible",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}
MESSAGES = {
    400: "La requête envoyée n'est pas valide.",
    401: "Connectez-vous pour accéder à cette page.",
    403: "Vous n'avez pas les droits nécessaires pour accéder à cette page.",
    404: "La page demandée n'existe pas ou vous n'y avez pas accès.",
    405: "Cette action n'est pas possible sur cette page.",
    429: "Trop de tentatives en peu de temps\u00a0: patientez quelques minutes avant de réessayer.",
    500: "Une erreur inattendue s'est produite. L'équipe technique en est informée\u202f; "
    "vos données déjà enregistrées sont conservées.",
    503: "Le service est momentanément indisponible. Réessayez dans quelques instants\u202f; "
    "vérifiez d'abord sur la page du dossier si votre action a déjà été prise en compte.",
}


def error_page(status: int, message: str | None = None) -> tuple[str, int]:
    return (
        render_template(
            "error.html",
            status=status,
            title=TITLES.get(status, "Erreur"),
            message=message or _message(status),
        ),
        status,
    )


def _message(status: int) -> str:
    if status == 413:
        settings: EngineSettings = current_app.extensions["engine_settings"]
        return (
            "Les fichiers envoyés sont trop volumineux "
            f"({settings.max_piece_size} au plus par pièce)."
        )
    return MESSAGES.get(status, "Une erreur s'est produite.")


def init_app(app: Flask) -> None:
    from web.api.problems import Problem, from_problem, is_api_request, problem_response

    @app.errorhandler(Problem)
    def api_problem(error: Problem) -> ResponseReturnValue:
        return from_problem(error)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> ResponseReturnValue:
        if is_api_request():
            return problem_response(400)
        return error_page(
            400,
            "Le formulaire a expiré ou n'a pas été envoyé depuis ce site. "
            "Revenez à la page précédente, rechargez-la et renvoyez le formulaire.",
        )

    @app.errorhandler(InventaireError)
    def engine_error(error: InventaireError) -> ResponseReturnValue:
        status = error.http_status if error.http_status < 500 else 422
        if is_api_request():
            return problem_response(status, error.user_message)
        return error_page(status, error.user_message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if is_api_request():
            return problem_response(error.code or 500)
        return error_page(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("Unexpected error on %s %s", request.method, request.path)
        if is_api_request():
            return problem_response(500)
        return error_page(500)
