"""The worker as the application configures it: settings from the config, a thread for `run`."""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask

from engine.emails.mailer import SmtpSettings
from engine.jobs.worker import Worker, WorkerSettings
from engine.wiring import job_handlers


def worker_settings(app: Flask) -> WorkerSettings:
    config = app.config
    smtp = None
    if config.get("SMTP_HOST"):
        smtp = SmtpSettings(
            host=config["SMTP_HOST"],
            port=int(config.get("SMTP_PORT", 25)),
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS")),
            sender=config.get("SMTP_SENDER") or SmtpSettings.sender,
        )
    return WorkerSettings(
        poll_interval=float(config.get("WORKER_POLL_SECONDS", 1.0)),
        lease=timedelta(seconds=float(config.get("WORKER_LEASE_SECONDS", 60))),
        max_attempts=int(config.get("WORKER_MAX_ATTEMPTS", 5)),
        smtp=smtp,
    )


def make_worker(app: Flask) -> Worker:
    return Worker(app.extensions["db_sessions"], job_handlers(), worker_settings(app))


def start_worker_thread(app: Flask) -> tuple[threading.Thread, threading.Event]:
    """One worker beside the web server, so timers fire out of the box (`inventaire run`)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=make_worker(app).run, args=(stop,), name="inventaire-worker", daemon=True
    )
    thread.start()
    return thread, stop
