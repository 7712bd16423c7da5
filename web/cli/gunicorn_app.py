"""`inventaire serve`'s processes: gunicorn's arbiter forks the worker processes, each of which
makes its own app after the fork (its own database pool, sandbox processes, API rate-limit
counters and request metrics), on a socket the command bound before (docs/operations.md,
"Several processes, several machines").

The code is imported once in the parent (it made an app to prepare the database), so a worker
starts in milliseconds and shares those pages with the others; the app itself is not preloaded:
nothing that holds a connection or a thread crosses the fork.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from web.background import start_worker_thread
from web.cli.context import database, make_app

# A worker process that stops answering its arbiter for this long is killed and replaced. With
# gthread the heartbeat comes from the loop that accepts connections, not from the requests'
# threads: a long export does not count, a process wedged on its lock does.
TIMEOUT_SECONDS = 120
# On SIGTERM (or SIGHUP's restart), the requests under way get this long to finish.
GRACEFUL_TIMEOUT_SECONDS = 30
# A browser's or a load balancer's idle connection is kept this long for its next request.
KEEPALIVE_SECONDS = 5
BACKLOG = 2048
_WORKER_STOP = "inventaire.worker_stop"


@dataclass(frozen=True)
class Served:
    """What `inventaire serve` asked for."""

    # The bound, listening socket's descriptor: gunicorn takes it over (and closes it).
    listener: int
    workers: int
    threads: int
    with_worker: bool
    # Said once the arbiter is ready, before the workers start (the socket listens already).
    announce: Callable[[], None]


class InventaireLogs(Logger):
    """gunicorn's own lines (a worker started, stopped, timed out) through the handlers that
    web/logs.py set up, in the same text or JSON format as the rest; gunicorn's access log
    stays off: web/access_log.py writes one line per request, with its route and duration."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            if getattr(handler, "_gunicorn", False):
                self.error_log.removeHandler(handler)
        self.error_log.propagate = True


class InventaireServer(BaseApplication):
    def __init__(self, served: Served) -> None:
        self.served = served
        super().__init__(prog="inventaire serve")

    def load_config(self) -> None:
        served = self.served
        settings: dict[str, Any] = {
            # Bound by the command (a French sentence when it cannot), handed over as is.
            "bind": [f"fd://{served.listener}"],
            "backlog": BACKLOG,
            "workers": served.workers,
            # Threads: a request waiting on PostgreSQL lets another one use the processor.
            "worker_class": "gthread",
            "threads": served.threads,
            "preload_app": False,
            "timeout": TIMEOUT_SECONDS,
            "graceful_timeout": GRACEFUL_TIMEOUT_SECONDS,
            "keepalive": KEEPALIVE_SECONDS,
            "accesslog": None,
            "errorlog": "-",
            "logger_class": InventaireLogs,
            "proc_name": "inventaire",
            # The app decides which proxies it trusts (INVENTAIRE_TRUSTED_PROXIES, ProxyFix):
            # gunicorn must not take X-Forwarded-Proto from anyone on its own.
            "forwarded_allow_ips": "",
            "secure_scheme_headers": {},
            # Its control socket sits at one path per user: two servers would fight for it.
            "control_socket_disable": True,
            "when_ready": _when_ready(served),
            "worker_exit": _worker_exit,
            "child_exit": _child_exit,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        """In each worker process, after the fork: its own app, and its job worker when asked."""
        app = make_app()
        if self.served.with_worker:
            _thread, stop = start_worker_thread(app)
            app.extensions[_WORKER_STOP] = stop
        return app


def _when_ready(served: Served) -> Callable[[Any], None]:
    def when_ready(_arbiter: Any) -> None:
        served.announce()

    return when_ready


def _worker_exit(_arbiter: Any, worker: Any) -> None:
    """A worker process leaves: its job worker stops claiming, its connections close."""
    app = getattr(worker, "wsgi", None)
    if not isinstance(app, Flask):
        return
    stop: threading.Event | None = app.extensions.get(_WORKER_STOP)
    if stop is not None:
        stop.set()
    database(app).dispose()


def _child_exit(_arbiter: Any, worker: Any) -> None:
    """In the arbiter: a dead worker's live gauges leave the shared metrics directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def empty_metrics_directory() -> None:
    """prometheus_client's multiprocess mode wants its directory emptied before each start:
    the figures of the processes of a previous run would be added to ours."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    for leftover in Path(folder).glob("*.db"):
        leftover.unlink(missing_ok=True)


def serve_forever(served: Served) -> None:
    """Run the arbiter until SIGINT or SIGTERM (it exits the process)."""
    logging.getLogger("inventaire.serve").debug(
        "Arbiter starting", extra={"workers": served.workers, "threads": served.threads}
    )
    InventaireServer(served).run()
