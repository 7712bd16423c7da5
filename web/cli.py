"""The `inventaire` command line (DESIGN §9: these names are a contract)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import click
from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine.core import dialect
from engine.core.errors import ProcessModelError
from engine.core.migrate import upgrade
from engine.core.settings import EngineSettings
from engine.definitions.checking import check_paths
from engine.definitions.definition import read_folder
from engine.definitions.deployment import deploy
from engine.studio import demo
from engine.studio.replay import replay
from engine.studio.scenario import ScenarioResult, load_scenarios
from engine.workflow import documents
from web import logs
from web.background import make_worker, start_worker_thread

if TYPE_CHECKING:
    from engine.core.models import ProcessVersion
    from engine.register.opendata.importer import ImportReport


T = TypeVar("T")

BUSY_MESSAGE = "La base de données est occupée par une autre opération ; réessayez dans un instant."
# sysexits' EX_TEMPFAIL: a script may try again later.
EXIT_BUSY = 75
# How long a writing command tries again while SQLite's write lock is held elsewhere.
DEFAULT_LOCK_WAIT_SECONDS = 10.0
# SQLite waits this long for the lock at each try, so that the command can say it waits.
BUSY_TIMEOUT_MS = 250
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def _app() -> Flask:
    from web import create_app

    return create_app()


def _writing_app() -> Flask:
    """The app of a command that writes: on SQLite, each try waits briefly for the lock (the
    retries of `_while_locked` do the rest)."""
    app = _app()
    engine: Engine = app.extensions["db_engine"]
    if engine.dialect.name == "sqlite":
        # First of the connect listeners: switching to WAL may itself wait for the lock.
        event.listen(engine, "connect", _short_busy_timeout, insert=True)
    return app


def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.close()


def _lock_wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("INVENTAIRE_LOCK_WAIT", DEFAULT_LOCK_WAIT_SECONDS)))
    except ValueError:
        return DEFAULT_LOCK_WAIT_SECONDS


def _is_locked(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "database is locked" in str(error.orig)


def _while_locked(action: Callable[[], T]) -> T:
    """Run `action` (whole transactions, rolled back on failure), again while the database is
    locked by another operation; past the wait, say so in French and exit with EXIT_BUSY."""
    deadline = time.monotonic() + _lock_wait_seconds()
    pause = 0.1
    told = False
    while True:
        try:
            return action()
        except OperationalError as error:
            if not _is_locked(error):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                click.echo(BUSY_MESSAGE, err=True)
                sys.exit(EXIT_BUSY)
            if not told:
                click.echo("La base de données est occupée : nouvel essai…", err=True)
                told = True
            time.sleep(min(pause, left))
            pause = min(pause * 2, 1.0)


def _writer(session: Session) -> Session:
    """On SQLite, the session's transaction takes the write lock first: nothing is done (no
    file written, no spec built) before the lock is ours."""
    return dialect.begin_writing(session)


def _store(app: Flask) -> documents.DocumentStore:
    settings: EngineSettings = app.extensions["engine_settings"]
    return documents.DocumentStore(Path(app.config["UPLOAD_DIR"]), settings.max_piece_bytes)


def _session(app: Flask) -> Session:
    factory = app.extensions["db_sessions"]
    session: Session = factory()
    return session


def prepare_database(app: Flask, *, with_demo: bool) -> None:
    """Migrate, deploy the process folders when they changed, load the demo on an empty base."""
    upgrade(app.extensions["db_engine"])
    with _session(app) as session:
        _writer(session)
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
    # Before anything logs (the worker's lines, the requests'): INVENTAIRE_LOG_LEVEL/_FORMAT.
    logs.configure()


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run_command(host: str, port: int) -> None:
    """Servir l'application (base créée, migrée et peuplée au premier démarrage)."""
    from waitress import serve

    app = _app()
    _while_locked(lambda: prepare_database(app, with_demo=True))
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
    app = _writing_app()
    try:
        _while_locked(lambda: upgrade(app.extensions["db_engine"]))
    finally:
        app.extensions["db_engine"].dispose()
    click.echo("Base de données à jour.")


@main.command("demo")
def demo_command() -> None:
    """Créer les organisations, comptes et dossiers de démonstration."""
    app = _writing_app()
    try:
        _while_locked(lambda: upgrade(app.extensions["db_engine"]))
        count = _while_locked(lambda: _load_demo(app))
        # What is due now (emails, the publication of the recensed dossier) is done at once.
        jobs_run = _while_locked(make_worker(app).run_until_idle)
    finally:
        app.extensions["db_engine"].dispose()
    click.echo(f"Données de démonstration créées ({count} dossiers, {jobs_run} travaux exécutés).")


def _load_demo(app: Flask) -> int:
    with _session(app) as session:
        _writer(session)
        if demo.has_data(session):
            click.echo("La base contient déjà des comptes : rien n'est créé.", err=True)
            sys.exit(1)
        count = demo.load(session, Path(app.config["PROCESSES_DIR"]), _store(app))
        session.commit()
    return count


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
    app = _writing_app()
    try:
        files = read_folder(Path(folder))
        _while_locked(lambda: upgrade(app.extensions["db_engine"]))
        version, created = _while_locked(lambda: _deploy(app, files))
    except ProcessModelError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        sys.exit(1)
    finally:
        app.extensions["db_engine"].dispose()
    if created:
        click.echo(f"« {version.key} » déployé en version {version.version}.")
    else:
        click.echo(
            f"« {version.key} » version {version.version} : contenu identique, rien à faire."
        )


def _deploy(app: Flask, files: dict[str, str]) -> tuple[ProcessVersion, bool]:
    with _session(app) as session:
        _writer(session)
        version, created = deploy(session, files)
        session.commit()
    return version, created


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
        _while_locked(lambda: upgrade(app.extensions["db_engine"]))
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

    from engine.register.opendata.export import export_csv, export_xml

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
    from engine.register.opendata.importer import DEFAULT_MAX_BYTES, summary

    max_bytes = max_size * 1024 * 1024 if max_size else DEFAULT_MAX_BYTES
    app = _writing_app()
    try:
        _while_locked(lambda: upgrade(app.extensions["db_engine"]))
        report = _while_locked(lambda: _import_register(app, Path(file), max_bytes))
    finally:
        app.extensions["db_engine"].dispose()
    for line in summary(report):
        click.echo(line)


def _import_register(app: Flask, path: Path, max_bytes: int) -> ImportReport:
    from sqlalchemy.exc import SQLAlchemyError

    from engine.register.opendata.importer import ImportRefused, import_fiches

    with _session(app) as session:
        _writer(session)
        try:
            report = import_fiches(session, path, max_bytes=max_bytes)
            session.commit()
        except ImportRefused as error:
            session.rollback()
            click.echo(error.user_message, err=True)
            sys.exit(2)
        except SQLAlchemyError as error:  # e.g. another import committed the same number
            session.rollback()
            if isinstance(error, OperationalError) and _is_locked(error):
                raise
            click.echo(
                f"La base de données a refusé l'import ({type(error).__name__}) : "
                "aucune fiche n'a été importée. Relancez l'import.",
                err=True,
            )
            sys.exit(1)
    return report


if __name__ == "__main__":
    main()
