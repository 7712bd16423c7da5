"""The real Flask app under the test client, with the server's own time measured.

`ServerTimer` wraps `app.wsgi_app`: it times the WSGI call from the moment the request's
environ reaches the app to the moment the response body has been produced and the request
context torn down (session closed). The test client's own work (encoding the multipart body,
cookies, parsing the response) is outside that time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask

from tests.support import Browser

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ServerTimer:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.durations: list[float] = []
        self.cpu: list[float] = []  # this thread's CPU time (SQLite runs in it, PostgreSQL not)
        self.profiler: Any = None  # a cProfile.Profile, enabled around each request when set

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        profiler = self.profiler
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        cpu = time.thread_time()
        iterable = self.app(environ, start_response)
        try:
            body = b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        self.durations.append(time.perf_counter() - started)
        self.cpu.append(time.thread_time() - cpu)
        if profiler is not None:
            profiler.disable()
        return [body]

    @property
    def last(self) -> float:
        return self.durations[-1]

    @property
    def last_cpu(self) -> float:
        return self.cpu[-1]

    def mark(self) -> int:
        return len(self.durations)

    def since(self, mark: int) -> list[float]:
        return self.durations[mark:]


class Site:
    """The app as users reach it: one browser per user, each logged in once."""

    def __init__(self, database_url: str, upload_dir: Path) -> None:
        from web import create_app

        # create_app reads these before the test config; set them so nothing is written to
        # the project's instance/ folder (secret key, default SQLite file).
        os.environ["INVENTAIRE_DATABASE_URL"] = database_url
        os.environ["INVENTAIRE_SECRET_KEY"] = "bench"
        os.environ["INVENTAIRE_UPLOAD_DIR"] = str(upload_dir)
        # The bench prints its figures, not a line per request (the request log's own cost is
        # then left out of them).
        os.environ.setdefault("INVENTAIRE_LOG_LEVEL", "WARNING")
        self.app: Flask = create_app(
            {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "bench",
                "UPLOAD_DIR": str(upload_dir),
                "MAX_UPLOAD_BYTES": 2 * 1024 * 1024,
                "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
            }
        )
        self.timer = ServerTimer(self.app.wsgi_app)
        self.app.wsgi_app = self.timer  # type: ignore[method-assign]
        self.browsers: dict[str, Browser] = {}

    def new_browser(self) -> Browser:
        return Browser(self.app.test_client())

    def browser(self, email: str) -> Browser:
        """A browser logged in as `email` (scrypt hashing is slow: once per user)."""
        if email not in self.browsers:
            browser = self.new_browser()
            browser.login(email)
            self.browsers[email] = browser
        return self.browsers[email]

    def close(self) -> None:
        engine = self.app.extensions.get("db_engine")
        if engine is not None:
            engine.dispose()


def timed_gets(site: Site, browser: Browser, path: str, count: int, warmup: int) -> list[float]:
    """The server times of `count` GETs of `path`, after `warmup` untimed ones."""
    durations: list[float] = []
    for attempt in range(count + warmup):
        response = browser.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
        if attempt >= warmup:
            durations.append(site.timer.last)
    return durations
