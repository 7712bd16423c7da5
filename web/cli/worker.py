"""`inventaire worker`: due timers and jobs run until the process is stopped."""

from __future__ import annotations

import signal
import threading

import click
from flask import Flask

from web.background import make_worker
from web.cli.context import open_session, opened_app


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
        _schedule_audit(app)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(
            f"Travailleur {worker.name}\u00a0: en attente des échéances (Ctrl+C pour arrêter)."
        )
        worker.run(stop)


def _schedule_audit(app: Flask) -> None:
    """The periodic jobs wait in the queue: the audit trail's (linking, the daily seal) and the
    retention sweep; the long-running worker puts the current slot's run there if none is (one
    row per slot)."""
    from engine.jobs.audit_job import schedule
    from engine.workflow import retention

    with open_session(app) as session:
        schedule(session)
        retention.schedule(session)
        session.commit()
