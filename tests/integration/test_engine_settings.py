"""The settings an operator gives reach the engine: emails link to the public address (rendered
in a request or by the worker, outside any), the upload limit is the one announced and
enforced, and a given secret key writes nothing in the instance folder."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.core.models import Email
from engine.studio.scenario import SAMPLE_PDF
from tests.dossiers import SCENARIOS
from tests.support import Browser, location_id, text_of
from tests.walk import Walker

BASE_URL = "https://inventaire.example.fr/recensement"
LIMIT = 3 * 1024 * 1024


def configured_app(database_url: str, upload_dir: Path, base_url: str, instance: Path) -> Flask:
    from web import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "UPLOAD_DIR": str(upload_dir),
            "BASE_URL": base_url,
            "MAX_UPLOAD_BYTES": LIMIT,
            "MAX_CONTENT_LENGTH": LIMIT + 1024 * 1024,
        },
        instance_path=str(instance),
    )


@pytest.fixture
def site(db_engine: Engine, database_url: str, upload_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    """The application as an operator configured it: its public address, a 3 MB piece limit.
    Another application made after it in the same process keeps its own settings."""
    application = configured_app(database_url, upload_dir, BASE_URL, tmp_path / "instance")
    other = configured_app(database_url, upload_dir, "https://autre.example.org", tmp_path / "o")
    yield application
    for made in (application, other):
        made.extensions["db_engine"].dispose()


def outbox(session: Session, template: str) -> list[Email]:
    """The emails of that template to accounts (all @example.org); the dossier's contact
    address gets the submitter's letters too."""
    session.rollback()  # a fresh transaction: what the worker committed since
    return list(
        session.scalars(
            select(Email).where(Email.template == template, Email.recipient.endswith("example.org"))
        )
    )


def test_emails_link_to_the_public_address_from_a_request_and_from_the_worker(
    site: Flask, session: Session, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    favorable = SCENARIOS["favorable"]
    walker = Walker(lambda: Browser(site.test_client()), favorable.organisation)
    walker.play(favorable)  # the acknowledgement is rendered in the dépôt's request
    assert outbox(session, "publication") == []

    # The operator's worker publishes the recensed dossier: its email is rendered there.
    monkeypatch.setenv("INVENTAIRE_DATABASE_URL", database_url)
    monkeypatch.setenv("INVENTAIRE_SECRET_KEY", "test")
    monkeypatch.setenv("INVENTAIRE_BASE_URL", BASE_URL)
    from web.cli import main

    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output

    [published] = outbox(session, "publication")
    numero = re.search(r"INV\d{5}", published.body)
    assert numero, published.body
    assert f"Fiche publique\u00a0: {BASE_URL}/registre/{numero.group(0)}" in published.body
    [acknowledgement] = outbox(session, "accuse_depot")
    assert f"{BASE_URL}/demandes/{walker.dossier_id}" in acknowledgement.body
    staff = f"{BASE_URL}/instruction/dossiers/{walker.dossier_id}"
    assert any(staff in email.body for email in outbox(session, "tache_en_attente"))
    session.rollback()
    assert not any("autre.example.org" in body for body in session.scalars(select(Email.body)))


def test_the_configured_upload_limit_is_announced_and_enforced(site: Flask) -> None:
    browser = Browser(site.test_client())
    browser.login("demandeur@example.org")
    created = browser.post("/demandes/nouvelle", from_page="/demandes/")
    dossier_id = location_id(created, r"/demandes/(\d+)/saisie")
    page = f"/demandes/{dossier_id}/saisie/descriptif"
    assert "Taille maximale : 3 Mo." in text_of(browser.get(page))

    too_big = browser.post(
        page,
        {"referentiel_competences": (io.BytesIO(SAMPLE_PDF + b"%" * LIMIT), "gros.pdf")},
        content_type="multipart/form-data",
    )
    assert "Le fichier « gros.pdf » dépasse la taille autorisée (3 Mo au plus)." in text_of(too_big)

    whole_request = browser.post(
        page,
        {"referentiel_competences": (io.BytesIO(b"%" * (LIMIT + 2 * 1024 * 1024)), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert whole_request.status_code == 413
    assert "trop volumineux (3 Mo au plus par pièce)" in text_of(whole_request)


def test_a_given_secret_key_writes_nothing_in_the_instance_folder(
    db_engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web import create_app

    monkeypatch.delenv("INVENTAIRE_SECRET_KEY", raising=False)
    monkeypatch.delenv("INVENTAIRE_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    given = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "donnée", "UPLOAD_DIR": str(tmp_path)},
        instance_path=str(instance),
    )
    given.extensions["db_engine"].dispose()
    assert given.config["SECRET_KEY"] == "donnée"
    assert not instance.exists() or not any(instance.iterdir())

    # Without one, a key is made once and kept there (sessions survive a restart).
    first = create_app({"DATABASE_URL": database_url}, instance_path=str(instance))
    again = create_app({"DATABASE_URL": database_url}, instance_path=str(instance))
    for app in (first, again):
        app.extensions["db_engine"].dispose()
    assert [path.name for path in instance.iterdir()] == ["secret_key"]
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"]
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
