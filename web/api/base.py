"""The API's blueprint and its OpenAPI generator (spectree over pydantic models).

Every operation is a view of `bp` decorated by `spec.validate`: spectree reads its pydantic
models to validate the query and body, and to write /api/v1/openapi.json (OpenAPI 3.1, the
models' JSON Schema 2020-12 as is). A refused input becomes a 422 problem with French
messages per field (`_refused_input`), never spectree's own English answer.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from pydantic import ValidationError
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from web.api.models import ProblemOut
from web.api.problems import Problem
from web.api.wording import french_errors

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _refused_input(
    _request: Any,
    _response: Any,
    error: Exception | None,
    _instance: Any,
    _adapter: Any = None,
) -> None:
    if isinstance(error, ValidationError):
        errors = french_errors(error)
        count = len(errors)
        raise Problem(
            422,
            f"La requête contient {count} erreur{'s' if count > 1 else ''}.",
            erreurs=errors,
        )


spec = SpecTree(
    "flask",
    title="API d'Inventaire",
    version="1",
    description=(
        "L'API JSON d'Inventaire\u00a0: registre public, démarches, dossiers et tâches. "
        "Erreurs au format RFC 9457 (application/problem+json), en français."
    ),
    # Spectree leaves out of the document the routes under its own path: it gets one of its
    # own, and /api/v1/openapi.json is served by docs_page.
    path="api/v1/doc",
    filename="openapi.json",
    page_templates={},
    mode="strict",
    before=_refused_input,
    validation_error_status=422,
    validation_error_model=ProblemOut,
    # Components named after the models (their names are unique in this package).
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        SecurityScheme(
            name="jeton",
            data=SecuritySchemeData(
                type=SecureType.HTTP,
                scheme="bearer",
                description="Jeton d'accès «\u00a0inv_…\u00a0»",
            ),
        )
    ],
)
