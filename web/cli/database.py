"""`inventaire db upgrade` and `inventaire demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from engine.studio import demo
from web.background import make_worker
from web.cli.context import begin_writing, document_store, open_session, opened_app, upgraded
from web.cli.locking import while_locked


@click.group("db")
def db_group() -> None:
    """Base de données."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Appliquer les migrations à INVENTAIRE_DATABASE_URL."""
    with opened_app(writing=True) as app:
        upgraded(app)
    click.echo("Base de données à jour.")


@click.command("demo")
def demo_command() -> None:
    """Créer les organisations, comptes et dossiers de démonstration."""
    with opened_app(writing=True) as app:
        upgraded(app)
        count = while_locked(lambda: _load_demo(app))
        # What is due now (emails, the publication of the recensed dossier) is done at once.
        jobs_run = while_locked(make_worker(app).run_until_idle)
    click.echo(f"Données de démonstration créées ({count} dossiers, {jobs_run} travaux exécutés).")


def _load_demo(app: Flask) -> int:
    with open_session(app) as session:
        begin_writing(session)
        if demo.has_data(session):
            click.echo("La base contient déjà des comptes\u00a0: rien n'est créé.", err=True)
            sys.exit(1)
        count = demo.load(session, Path(app.config["PROCESSES_DIR"]), document_store(app))
        session.commit()
    return count
