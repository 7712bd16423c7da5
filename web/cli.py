"""The `inventaire` command line (DESIGN §9: these names are a contract)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy.orm import Session

from engine import demo, documents
from engine.checking import check_paths
from engine.definition import deploy, read_folder
from engine.errors import ProcessModelError
from engine.migrate import upgrade
from engine.replay import replay
from engine.scenario import ScenarioResult, load_scenarios


def _app() -> Flask:
    from web import create_app

    return create_app()


def _store(app: Flask) -> documents.DocumentStore:
    return documents.DocumentStore(Path(app.config["UPLOAD_DIR"]), app.config["MAX_UPLOAD_BYTES"])


def _session(app: Flask) -> Session:
    factory = app.extensions["db_sessions"]
    session: Session = factory()
    return session


def prepare_database(app: Flask, *, with_demo: bool) -> None:
    """Migrate, deploy the process folders when they changed, load the demo on an empty base."""
    upgrade(app.extensions["db_engine"])
    with _session(app) as session:
        empty = not demo.has_data(session)
        if with_demo and empty:
            count = demo.load(session, Path(app.config["PROCESSES_DIR"]), _store(app))
            session.commit()
            click.echo(f"Données de démonstration créées ({count} dossiers).")
        for folder in sorted(Path(app.config["PROCESSES_DIR"]).iterdir()):
            if (folder / "process.json").is_file():
                version, created = deploy(session, read_folder(folder))
                if created:
                    click.echo(f"Processus « {version.key} » déployé en version {version.version}.")
        session.commit()


@click.group()
def main() -> None:
    """Inventaire : recensement des certifications à l'Inventaire."""


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run_command(host: str, port: int) -> None:
    """Servir l'application (base créée, migrée et peuplée au premier démarrage)."""
    from waitress import serve

    app = _app()
    prepare_database(app, with_demo=True)
    click.echo(f"Inventaire est servi sur http://{host}:{port}")
    serve(app, host=host, port=port, threads=8, ident="inventaire")


@main.group("db")
def db_group() -> None:
    """Base de données."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Appliquer les migrations à INVENTAIRE_DATABASE_URL."""
    app = _app()
    upgrade(app.extensions["db_engine"])
    click.echo("Base de données à jour.")


@main.command("demo")
def demo_command() -> None:
    """Créer les organisations, comptes et dossiers de démonstration."""
    app = _app()
    upgrade(app.extensions["db_engine"])
    with _session(app) as session:
        if demo.has_data(session):
            click.echo("La base contient déjà des comptes : rien n'est créé.", err=True)
            sys.exit(1)
        count = demo.load(session, Path(app.config["PROCESSES_DIR"]), _store(app))
        session.commit()
    click.echo(f"Données de démonstration créées ({count} dossiers).")


@main.group("processes")
def processes_group() -> None:
    """Modèles de processus."""


@processes_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path())
def processes_check(files: tuple[str, ...]) -> None:
    """Valider des fichiers BPMN/DMN comme le ferait un déploiement."""
    problems = check_paths([Path(name) for name in files])
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo("Déployable.")


@processes_group.command("deploy")
@click.argument("folder", type=click.Path(file_okay=False))
def processes_deploy(folder: str) -> None:
    """Déployer un dossier de processus comme nouvelle version."""
    app = _app()
    upgrade(app.extensions["db_engine"])
    try:
        files = read_folder(Path(folder))
        with _session(app) as session:
            version, created = deploy(session, files)
            session.commit()
    except ProcessModelError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        sys.exit(1)
    if created:
        click.echo(f"« {version.key} » déployé en version {version.version}.")
    else:
        click.echo(
            f"« {version.key} » version {version.version} : contenu identique, rien à faire."
        )


@main.group("scenarios")
def scenarios_group() -> None:
    """Scénarios des modèles de processus."""


@scenarios_group.command("run")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
def scenarios_run(folder: str | None) -> None:
    """Rejouer les scénarios (dans une base jetable) et rendre compte."""
    from web.config import default_processes_dir

    if folder:
        folders = [Path(folder)]
    else:
        folders = [
            path
            for path in sorted(default_processes_dir().iterdir())
            if (path / "process.json").is_file()
        ]
    failures = 0
    total = 0
    for process_folder in folders:
        results = replay_folder(process_folder)
        for result in results:
            total += 1
            mark = "OK    " if result.passed else "ÉCHEC "
            failures += 0 if result.passed else 1
            name = f"{process_folder.name}/{result.scenario.name}"
            click.echo(f"{mark}{name} : {result.scenario.title} — {result.message}")
    click.echo(f"{total - failures} passed, {failures} failed")
    if failures or not total:
        sys.exit(1)


def replay_folder(folder: Path) -> list[ScenarioResult]:
    """Replay a folder's scenarios in a throwaway SQLite database, one transaction each."""
    try:
        return replay(read_folder(folder), load_scenarios(folder))
    except ProcessModelError as error:
        click.echo("\n".join(error.problems), err=True)
        sys.exit(1)
