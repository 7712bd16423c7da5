"""Property-based tests of the API from its own OpenAPI document (schemathesis), over real HTTP
against a live server: for every operation, generated requests (positive and negative) with a
token of each kind get no server error, and every documented answer conforms to the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from tests.api import token_for
from tests.integration.test_register_public import add_entry
from tests.live_server import live_server

EXAMPLES = 15


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_schema_and_never_fails(
    database_url: str,
    tmp_path: Path,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    mode: GenerationMode,
) -> None:
    add_entry(session, "INV00001", "Soudage orbital")
    session.commit()
    tokens = {
        "demandeur": token_for(session, "demandeur@example.org"),
        "proprietaire": token_for(session, "proprietaire@example.org", ("lecture", "admin")),
        "recevabilite": token_for(session, "recevabilite@example.org"),
        "admin": token_for(session, "admin@example.org", ("lecture", "ecriture", "admin")),
    }
    monkeypatch.setenv("INVENTAIRE_API_RATE_LIMIT_TOKEN", "100000/minute")
    monkeypatch.setenv("INVENTAIRE_API_RATE_LIMIT_ADDRESS", "100000/minute")
    (tmp_path / "pieces").mkdir()
    with live_server(database_url, tmp_path) as base:
        schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 12
        for operation in operations:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=operation.as_strategy(generation_mode=mode),
                who=st.sampled_from(sorted(tokens)),
            )
            def check(case: schemathesis.Case, who: str) -> None:
                case.call_and_validate(
                    base_url=base,
                    headers={"Authorization": f"Bearer {tokens[who]}"},
                    checks=[not_a_server_error, response_schema_conformance],
                )

            try:
                check()
            except Unsatisfiable:
                # Nothing to make wrong (an operation without parameters nor body).
                assert mode is GenerationMode.NEGATIVE
