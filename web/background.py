"""The worker as the application configures it: the engine's settings, a thread for `run`."""

from __future__ import annotations

import threading

from flask import Flask

from engine import wiring
from engine.core.settings import EngineSettings
from engine.jobs.worker import Worker


def make_worker(app: Flask) -> Worker:
    """A worker on the app's sessions (which carry the engine's settings: the links written in
    the emails it renders) with the app's worker settings (timings, SMTP)."""
    settings: EngineSettings = app.extensions["engine_settings"]
    return wiring.make_worker(app.extensions["db_sessions"], settings.worker)


def schedule_periodic_jobs(app: Flask) -> None:
    """The periodic jobs wait in the queue: the audit trail's (linking, the daily seal) and the
    retention sweep. A long-running worker (`inventaire worker`, `inventaire run`'s thread)
    puts the current slot's run there at its start if none is (one row per slot); each run
    schedules the next."""
    from engine.jobs.audit_job import schedule as schedule_audit
    from engine.workflow.retention import schedule as schedule_retention

    with app.extensions["db_sessions"]() as session:
        schedule_audit(session)
        schedule_retention(session)
        session.commit()


def start_worker_thread(app: Flask) -> tuple[threading.Thread, threading.Event]:
    """One worker beside the web server, so timers fire out of the box (`inventaire run`)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=make_worker(app).run, args=(stop,), name="inventaire-worker", daemon=True
    )
    thread.start()
    return thread, stop
