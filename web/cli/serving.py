"""`inventaire serve`: several worker processes behind one port (gunicorn), for PostgreSQL.

The parent checks the shared settings, prepares the database once (migrations, process
folders; the demo only when asked), binds the port, then forks the workers, each making its own
app. Timers and jobs are left to `inventaire worker` processes unless `--with-worker` asks for
a job worker thread in each process. `inventaire run` stays the one-process default.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from engine.bpmn.sandbox import client as sandbox_client
from web.background import schedule_periodic_jobs
from web.cli.context import database, make_app
from web.cli.gunicorn_app import BACKLOG, Served, empty_metrics_directory, serve_forever
from web.cli.serve import host_option, port_option, prepare_once

# sysexits' EX_CONFIG: the settings must change before a new try can succeed.
EXIT_CONFIG = 78


def default_workers() -> int:
    """One process per processor this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def refusals(environ: Mapping[str, str]) -> list[str]:
    """What keeps several processes from serving the same site, in French (empty: none)."""
    url = environ.get("INVENTAIRE_DATABASE_URL") or ""
    try:
        parsed = make_url(url) if url else None
    except ArgumentError:
        return [
            "INVENTAIRE_DATABASE_URL n'est pas une adresse de base de données lisible "
            "(par exemple postgresql://utilisateur@hôte/inventaire)."
        ]
    backend = parsed.get_backend_name() if parsed is not None else "sqlite"
    found = []
    if backend == "sqlite" and parsed is not None and parsed.database in (None, "", ":memory:"):
        found.append(
            "INVENTAIRE_DATABASE_URL désigne une base SQLite en mémoire\u00a0: chaque processus "
            "aurait la sienne. Donnez un fichier, ou mieux une base PostgreSQL."
        )
    if backend != "sqlite" and not environ.get("INVENTAIRE_SECRET_KEY"):
        found.append(
            "INVENTAIRE_SECRET_KEY n'est pas définie\u00a0: tous les processus et toutes les "
            "machines qui servent la même base doivent partager la même clé secrète (elle "
            "signe les sessions, les jetons des formulaires et les liens des courriels). "
            "Définissez-la, par exemple avec le résultat de "
            "«\u00a0python3 -c 'import secrets; print(secrets.token_hex(32))'\u00a0»."
        )
    return found


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening; a French sentence and exit code 1 when the
    address cannot be had."""
    try:
        family, _type, _proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        return socket.create_server(address[:2], family=family, backlog=BACKLOG)
    except OSError as error:
        reason = getattr(error, "strerror", None) or error
        click.echo(f"Impossible d'écouter sur {host}:{port}\u00a0: {reason}.", err=True)
        sys.exit(1)


def address_of(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@click.command("serve")
@host_option
@port_option
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Nombre de processus (par défaut\u00a0: un par processeur).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Fils par processus (une requête qui attend la base laisse travailler les autres).",
)
@click.option(
    "--with-worker/--no-worker",
    default=False,
    show_default=True,
    help="Un travailleur (échéances, courriels) dans chaque processus\u00a0; sans lui, lancez "
    "des processus «\u00a0inventaire worker\u00a0».",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Créer les données de démonstration si la base est vide.",
)
def serve_command(
    host: str, port: int, workers: int | None, threads: int, with_worker: bool, demo: bool
) -> None:
    """Servir l'application avec plusieurs processus (PostgreSQL recommandé)."""
    problems = refusals(os.environ)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        click.echo("«\u00a0inventaire serve\u00a0» n'a pas démarré.", err=True)
        sys.exit(EXIT_CONFIG)
    count = workers or default_workers()
    empty_metrics_directory()
    app = make_app()
    prepare_once(app, with_demo=demo)
    if with_worker:
        schedule_periodic_jobs(app)
    sqlite = database(app).dialect.name == "sqlite"
    # Nothing that holds a connection or a process crosses the fork: each worker makes its own.
    database(app).dispose()
    sandbox_client.shutdown()
    del app
    listener = listen(host, port)
    address = address_of(listener)
    jobs = (
        "un travailleur intégré par processus"
        if with_worker
        else "sans travailleur intégré\u00a0: les échéances et les courriels attendent des "
        "processus «\u00a0inventaire worker\u00a0»"
    )

    def announce() -> None:
        click.echo(
            f"Inventaire en service sur {address} ({count} processus de {threads} fils, {jobs})"
        )
        if sqlite:
            click.echo(
                "SQLite n'admet qu'un écrivain à la fois\u00a0: pour plusieurs processus, "
                "préférez PostgreSQL."
            )

    served = Served(
        listener=listener.detach(),
        workers=count,
        threads=threads,
        with_worker=with_worker,
        announce=announce,
    )
    serve_forever(served)
