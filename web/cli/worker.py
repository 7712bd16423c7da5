"""`inventaire worker`: due timers and jobs run until the process is stopped."""

from __future__ import annotations

import signal
import threading

import click

from web.background import make_worker, schedule_periodic_jobs
from web.cli.context import opened_app


@click.command("worker")
@click.option("--once", is_flag=True, help="Exécuter ce qui est dû puis s'arrêter.")
@click.option("--name", default=None, help="Nom du travailleur (machine:pid par défaut).")
def worker_command(once: bool, name: str | None) -> None:
    """Exécuter les échéances et les travaux dus (courriels, publication) jusqu'à l'arrêt."""
    with opened_app() as app:
        worker = make_worker(app)
        if name:
            worker.name = name
        if once:
            count = worker.run_until_idle()
            click.echo(f"{count} travail(aux) exécuté(s).")
            return
        schedule_periodic_jobs(app)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(
            f"Travailleur {worker.name}\u00a0: en attente des échéances (Ctrl+C pour arrêter)."
        )
        worker.run(stop)
