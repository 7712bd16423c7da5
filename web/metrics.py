"""GET /metrics in Prometheus' text format: requests by route and status (latency histograms),
and, read from the database at each scrape, jobs by status, the oldest due job's age and
dossiers by status.

Request figures live in the process that served the requests: under several WSGI processes
(gunicorn) each has its own, unless PROMETHEUS_MULTIPROC_DIR names a directory they share
(prometheus_client's multiprocess mode); the database figures are the same from any process.

Reachable from the machine itself (127.0.0.1, ::1: a request that came through a proxy
not declared in INVENTAIRE_TRUSTED_PROXIES is not local) or with INVENTAIRE_METRICS_TOKEN as
`Authorization: Bearer …`; anyone else gets the 404 page, as for an address that does not exist.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterable

from flask import Blueprint, Flask, abort, current_app, request
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from engine.core import figures
from engine.core.clock import utcnow

log = logging.getLogger("inventaire.web.metrics")
bp = Blueprint("metrics", __name__)

# Any other method (anyone may send one) counts as "other": labels stay few.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the route of an address no view serves


class DatabaseFigures(Collector):
    """Reads engine.core.figures at each scrape; a database that does not answer is
    `inventaire_database_up 0`, never a failed scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "inventaire_database_up", "1 when the database answered this scrape's queries."
        )
        try:
            with self.engine.connect() as connection:
                read = figures.read(connection, utcnow())
        except SQLAlchemyError:
            log.warning("Metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily(
            "inventaire_jobs",
            "Jobs by status: pending (waiting), running, done, failed (incidents), cancelled.",
            labels=["status"],
        )
        for status, count in sorted(read.jobs.items()):
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily(
            "inventaire_jobs_oldest_due_age_seconds",
            "Seconds since the oldest pending job fell due (0: none is due).",
            value=read.oldest_due_job_age,
        )
        dossiers = GaugeMetricFamily(
            "inventaire_dossiers",
            "Dossiers by technical status and by the status label users read.",
            labels=["status", "status_label"],
        )
        for (status, label), count in sorted(read.dossiers.items()):
            dossiers.add_metric([status, label], count)
        yield dossiers


class Metrics:
    """The application's registry: one per app, so that several apps in one process (the
    tests) never register a metric twice."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "inventaire_http_request_duration_seconds",
            "Time to answer a request, by route (the Flask endpoint), method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.database = DatabaseFigures(engine)
        self.registry.register(self.database)
        # Children by label values: a dict lookup instead of labels()'s checks and lock.
        self._children: dict[tuple[str, str, int], Histogram] = {}

    def observe(self, route: str | None, method: str, status: int, seconds: float) -> None:
        key = (route or UNMATCHED, method, status)
        child = self._children.get(key)
        if child is None:
            label = method if method in METHODS else "other"
            child = self.requests.labels(key[0], label, str(status))
            self._children[key] = child
        child.observe(seconds)

    def registry_to_expose(self) -> CollectorRegistry:
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return self.registry
        # Multiprocess mode: every process's request figures, read from the shared directory.
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        merged.register(self.database)
        return merged


def init_app(app: Flask) -> None:
    app.extensions["metrics"] = Metrics(app.extensions["db_engine"])
    app.register_blueprint(bp)


def metrics_of(app: Flask) -> Metrics:
    metrics: Metrics = app.extensions["metrics"]
    return metrics


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        abort(404)
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encoder(metrics_of(current_app).registry_to_expose())
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    offered = given.removeprefix("Bearer ").encode()
    if token and given.startswith("Bearer ") and hmac.compare_digest(offered, token.encode()):
        return True
    return _local()


def _local() -> bool:
    """From this machine, and not relayed by a proxy we were not told to trust (a local reverse
    proxy would otherwise make every visitor look local)."""
    relayed = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if relayed and not current_app.config.get("TRUSTED_PROXIES"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
