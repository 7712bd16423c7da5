"""`inventaire demo`: the accounts listed in the README and a dozen dossiers at every step."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from engine.core.db import make_engine, make_session_factory
from engine.core.models import Email, Instance, RegisterEntry
from engine.people.accounts import authenticate

README_ACCOUNTS = [
    "demandeur@example.org",
    "demandeur2@example.org",
    "recevabilite@example.org",
    "rapporteur@example.org",
    "rapporteur2@example.org",
    "commission@example.org",
    "directeur.general@example.org",
    "proprietaire@example.org",
    "admin@example.org",
]


def test_demo_command_creates_accounts_and_dossiers(tmp_path: Path) -> None:
    from web.cli import main

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    environment = {"INVENTAIRE_DATABASE_URL": url, "INVENTAIRE_UPLOAD_DIR": str(tmp_path / "p")}
    result = CliRunner().invoke(main, ["demo"], env=environment)
    assert result.exit_code == 0, result.output
    assert "Données de démonstration créées (16 dossiers," in result.output
    again = CliRunner().invoke(main, ["demo"], env=environment)
    assert again.exit_code == 1 and "rien n'est créé" in again.output

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        for email in README_ACCOUNTS:
            assert authenticate(session, email, "inventaire") is not None, email
        labels = set(session.scalars(select(Instance.status_label)))
        published = session.scalars(select(RegisterEntry.numero)).all()
        outbox = session.scalar(select(func.count()).select_from(Email))
    engine.dispose()
    # The recensed dossier is published and the emails of the steps played are in the outbox.
    assert "INV00001" in published
    # The real fiches, and the RS registration the demo walked to its end.
    assert sum(numero.startswith("RS") for numero in published) == 9
    assert "RS90001" in published
    assert outbox
    assert {
        "Brouillon",
        "Déposée",
        "En attente de compléments",
        "En instruction",
        "Inscrite à l'ordre du jour",
        "Recensée",
        "Refusée",
        "Irrecevable",
        "Examen par la commission de la certification professionnelle",
        "Enregistrée au Répertoire spécifique",
    } <= labels
