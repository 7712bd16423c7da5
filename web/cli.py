"""The `inventaire` command line (DESIGN §9: these names are a contract)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import BinaryIO

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
from web.background import make_worker, start_worker_thread


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
    _thread, stop = start_worker_thread(app)
    click.echo(f"Inventaire est servi sur http://{host}:{port} (avec un travailleur intégré)")
    try:
        serve(app, host=host, port=port, threads=8, ident="inventaire")
    finally:
        stop.set()


@main.command("worker")
@click.option("--once", is_flag=True, help="Exécuter ce qui est dû puis s'arrêter.")
@click.option("--name", default=None, help="Nom du travailleur (machine:pid par défaut).")
def worker_command(once: bool, name: str | None) -> None:
    """Exécuter les échéances et les travaux dus (courriels, publication) jusqu'à l'arrêt."""
    app = _app()
    worker = make_worker(app)
    if name:
        worker.name = name
    try:
        if once:
            count = worker.run_until_idle()
            click.echo(f"{count} travail(aux) exécuté(s).")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"Travailleur {worker.name} : en attente des échéances (Ctrl+C pour arrêter).")
        worker.run(stop)
    finally:
        app.extensions["db_engine"].dispose()


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
    # What is due now (emails, the publication of the recensed dossier) is done at once.
    jobs_run = make_worker(app).run_until_idle()
    app.extensions["db_engine"].dispose()
    click.echo(f"Données de démonstration créées ({count} dossiers, {jobs_run} travaux exécutés).")


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


@main.group("register")
def register_group() -> None:
    """Registre : export et import open data (format de France compétences)."""


@register_group.command("export")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["xml", "csv"]),
    default="xml",
    show_default=True,
    help="xml : les fiches au format de France compétences ; csv : une ligne par entrée.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(),
    help="Fichier à écrire (par défaut : la sortie standard).",
)
def register_export(file_format: str, output: str | None) -> None:
    """Exporter le registre publié (« --output - » : la sortie standard)."""
    app = _app()
    try:
        upgrade(app.extensions["db_engine"])
        with _session(app) as session:
            if output is None or output == "-":
                count = _write_export(session, file_format, sys.stdout.buffer)
            else:
                count = _export_to_file(session, file_format, Path(output))
    except BrokenPipeError:  # `inventaire register export | head`: the reader had enough
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:
        click.echo(f"Impossible d'écrire « {output} » : {error.strerror or error}.", err=True)
        sys.exit(1)
    finally:
        app.extensions["db_engine"].dispose()
    what = "fiche exportée" if count < 2 else "fiches exportées"
    click.echo(f"{count} {what} ({file_format.upper()}).", err=True)


def _export_to_file(session: Session, file_format: str, target: Path) -> int:
    """A regular file is written beside the target then renamed over it (never a half-written
    file); anything else (a device, a pipe) is written to as it is."""
    import os
    import stat
    import tempfile

    if target.exists() and not target.is_file():
        with target.open("wb") as stream:
            return _write_export(session, file_format, stream)
    if target.exists():
        mode = stat.S_IMODE(target.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temporary = tempfile.mkstemp(prefix=".export-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            count = _write_export(session, file_format, stream)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _write_export(session: Session, file_format: str, stream: BinaryIO) -> int:
    import io

    from engine.opendata.export import export_csv, export_xml

    if file_format == "xml":
        return export_xml(session, stream)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        return export_csv(session, text)
    finally:
        text.flush()
        text.detach()  # the caller's stream stays open


@register_group.command("import")
@click.argument("file", type=click.Path())
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=None,
    help="Taille maximale du fichier, en Mo (par défaut : 150).",
)
def register_import(file: str, max_size: int | None) -> None:
    """Importer les fiches de l'export XML open data de France compétences."""
    from sqlalchemy.exc import SQLAlchemyError

    from engine.opendata.importer import DEFAULT_MAX_BYTES, ImportRefused, import_fiches, summary

    max_bytes = max_size * 1024 * 1024 if max_size else DEFAULT_MAX_BYTES
    app = _app()
    try:
        upgrade(app.extensions["db_engine"])
        with _session(app) as session:
            if session.get_bind().dialect.name == "sqlite":
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            try:
                report = import_fiches(session, Path(file), max_bytes=max_bytes)
                session.commit()
            except ImportRefused as error:
                session.rollback()
                click.echo(error.user_message, err=True)
                sys.exit(2)
            except SQLAlchemyError as error:  # e.g. another import committed the same number
                session.rollback()
                click.echo(
                    f"La base de données a refusé l'import ({type(error).__name__}) : "
                    "aucune fiche n'a été importée. Relancez l'import.",
                    err=True,
                )
                sys.exit(1)
    finally:
        app.extensions["db_engine"].dispose()
    for line in summary(report):
        click.echo(line)
