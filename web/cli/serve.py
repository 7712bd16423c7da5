"""`inventaire run`: the application served by waitress, with a worker thread beside it."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from engine.core.migrate import upgrade
from engine.definitions.definition import read_folder
from engine.definitions.deployment import deploy
from engine.studio import demo
from web.background import schedule_periodic_jobs, start_worker_thread
from web.cli.context import begin_writing, database, document_store, make_app, open_session
from web.cli.locking import one_start_at_a_time, while_locked

THREADS = 8


# Where a command listens: `run` and `serve` take the same two options.
host_option = click.option("--host", default="127.0.0.1", show_default=True)
port_option = click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0\u00a0: un port libre, choisi par le système (l'adresse servie est affichée).",
)


@click.command("run")
@host_option
@port_option
def run_command(host: str, port: int) -> None:
    """Servir l'application (base créée, migrée et peuplée au premier démarrage)."""
    app = make_app()
    prepare_once(app, with_demo=True)
    try:
        # Bound before anything is announced: with --port 0 the system picks the port.
        server = create_server(app, host=host, port=port, threads=THREADS, ident="inventaire")
    except OSError as error:
        click.echo(
            f"Impossible d'écouter sur {host}:{port}\u00a0: {error.strerror or error}.", err=True
        )
        sys.exit(1)
    schedule_periodic_jobs(app)
    _thread, stop = start_worker_thread(app)
    for address in addresses(server):
        click.echo(f"Inventaire en service sur {address} (avec un travailleur intégré)")
    try:
        server.run()
    finally:
        stop.set()


def addresses(server: BaseWSGIServer | MultiSocketServer) -> list[str]:
    """The addresses the server listens on (one per socket: a name may resolve to several)."""
    if isinstance(server, MultiSocketServer):
        listening = [(str(host), str(port)) for host, port in server.effective_listen]
    else:
        listening = [server.getsockname()]
    return [
        f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        for host, port in listening
    ]


def prepare_once(app: Flask, *, with_demo: bool) -> None:
    """`prepare_database` while no other server prepares it (PostgreSQL: hosts starting
    together), again while another operation holds SQLite's write lock."""
    with one_start_at_a_time(database(app)):
        while_locked(lambda: prepare_database(app, with_demo=with_demo))


def prepare_database(app: Flask, *, with_demo: bool) -> None:
    """Migrate, deploy the process folders when they changed, load the demo on an empty base."""
    upgrade(database(app))
    processes_dir = Path(app.config["PROCESSES_DIR"])
    with open_session(app) as session:
        begin_writing(session)
        if with_demo and not demo.has_data(session):
            count = demo.load(session, processes_dir, document_store(app))
            session.commit()
            click.echo(f"Données de démonstration créées ({count} dossiers).")
        for folder in sorted(processes_dir.iterdir()):
            if (folder / "process.json").is_file():
                version, created = deploy(session, read_folder(folder))
                if created:
                    click.echo(
                        f"Processus «\u00a0{version.key}\u00a0» déployé en version "
                        f"{version.version}."
                    )
        session.commit()
