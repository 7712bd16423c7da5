"""One log line and one metric observation per request: method, path, route, status and the
time from the first `before_request` hook to the last `after_request` one (a file streamed
after that is not counted).

The path is logged without its query string: searches and filters (`?q=…`) may hold what
people typed, names included; the route says which page it was.
"""

from __future__ import annotations

import logging
from time import perf_counter
from urllib.parse import quote

from flask import Flask, request
from werkzeug.wrappers import Response

from web.metrics import metrics_of

log = logging.getLogger("inventaire.web.request")
STARTED = "inventaire.started"  # in the WSGI environ: one lookup, no context-local object
# A longer path (anyone may send one) is cut; it is written as sent, percent-encoded (a
# line break someone typed as %0A stays %0A): a line stays a line.
MAX_PATH = 300
PATH_SAFE = "/:@!$&'()*+,;=-._~"


def init_app(app: Flask) -> None:
    metrics = metrics_of(app)

    def start() -> None:
        request.environ[STARTED] = perf_counter()

    def finish(response: Response) -> Response:
        ended = perf_counter()
        current = request._get_current_object()  # type: ignore[attr-defined]
        started: float | None = current.environ.pop(STARTED, None)
        if started is None:
            return response
        seconds = ended - started
        status = response.status_code
        metrics.observe(current.endpoint, current.method, status, seconds)
        if log.isEnabledFor(logging.INFO):
            _line(current.method, current.path, current.endpoint, status, seconds)
        return response

    # First before and last after every other hook (after_request ones run in reverse order).
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request_funcs.setdefault(None, []).insert(0, finish)


def _line(method: str, raw_path: str, route: str | None, status: int, seconds: float) -> None:
    path = quote(raw_path, safe=PATH_SAFE)
    if len(path) > MAX_PATH:
        path = path[:MAX_PATH] + "…"
    milliseconds = round(seconds * 1000, 1)
    log.info(
        "%s %s %s %.1f ms",
        method,
        path,
        status,
        milliseconds,
        extra={
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": milliseconds,
        },
    )
