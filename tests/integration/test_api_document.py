"""The API's description: an OpenAPI 3.1 document generated from the code, and a page of our
own origin listing its operations."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.api import call
from tests.support import text_of


def test_the_openapi_document_describes_every_operation(client: FlaskClient) -> None:
    document = call(client, "GET", "/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.json
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["jeton"]["scheme"] == "bearer"
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    assert {
        ("GET", "/api/v1/registre"),
        ("GET", "/api/v1/registre/changements"),
        ("GET", "/api/v1/registre/{numero}"),
        ("GET", "/api/v1/processus"),
        ("GET", "/api/v1/processus/{cle}/formulaire"),
        ("GET", "/api/v1/processus/{cle}/versions"),
        ("GET", "/api/v1/processus/{cle}/versions/{numero}/bpmn"),
        ("GET", "/api/v1/dossiers"),
        ("POST", "/api/v1/dossiers"),
        ("GET", "/api/v1/dossiers/{dossier_id}"),
        ("GET", "/api/v1/dossiers/{dossier_id}/brouillon"),
        ("PATCH", "/api/v1/dossiers/{dossier_id}/brouillon"),
        ("POST", "/api/v1/dossiers/{dossier_id}/pieces"),
        ("POST", "/api/v1/dossiers/{dossier_id}/depot"),
        ("GET", "/api/v1/taches"),
        ("GET", "/api/v1/taches/{task_id}"),
        ("POST", "/api/v1/taches/{task_id}"),
    } <= operations
    # Refused inputs are documented as the problems they are.
    assert "ProblemOut" in spec["components"]["schemas"]
    assert "ValidationError" not in spec["components"]["schemas"]


def test_the_openapi_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    """Checked against the OpenAPI 3.1 specification's own schema (openapi-spec-validator):
    what a client generator or a gateway reads."""
    document = call(client, "GET", "/api/v1/openapi.json").json
    validate(document)  # raises on the first deviation
    broken = {**document, "paths": {"/api/v1/registre": {"get": {"responses": "aucune"}}}}
    try:
        validate(broken)
    except OpenAPIValidationError:
        pass
    else:
        raise AssertionError("a broken document passed the validator")


def test_the_browsable_page_lists_the_operations_from_our_own_origin(
    client: FlaskClient,
) -> None:
    page = call(client, "GET", "/api/v1/")
    assert page.status_code == 200
    text = text_of(page)
    assert "API d'Inventaire" in text
    assert "/api/v1/dossiers/{dossier_id}/depot" in text
    assert "Déposer la demande" in text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert sources and all(not source.startswith(("http:", "https:", "//")) for source in sources)
