"""The HTTP measures: a reviewer completing tasks, the reviewer's inbox, a whole walk."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import Engine, event

from bench.client import Site
from bench.dossiers import REVIEWER, TWO_ROUNDS, Env, completed_count, dossiers_at_review
from bench.report import Timings
from tests.support import CSRF, Browser
from tests.walk import Walker

# The recevabilité's decision as a browser posts it (in the enctype the task page declares).
REVIEW_FORM = {
    "criteres_verifies": [
        "autorite_legitime",
        "certification_non_formation",
        "maitrise_professionnelle",
        "processus_verification",
        "instance_legitime",
        "pieces_completes",
    ],
    "decision": "recevable",
}


@dataclass(frozen=True)
class Completions:
    server: Timings  # WSGI call time, what the targets are about
    cpu: Timings  # the server thread's CPU time within it
    client: Timings  # client.post round trip (test client encoding and parsing included)
    opened: Timings  # server time of the GET of the task page before each POST (not a target)
    prepare_seconds: float
    content_type: str
    statements: tuple[int, ...]  # SQL statements of each timed POST (BEGIN and COMMIT apart)
    example: tuple[str, ...]  # the statements of the last POST, their first line


def complete_tasks(
    env: Env, site: Site, count: int, warmup: int, *, profiler: object = None
) -> Completions:
    """recevabilite@ completes `count` (+ `warmup`) claimed `examiner_recevabilite` tasks.

    The dossiers are brought there by the engine. The reviewer opens each task page then posts
    its form; the POST is what the target is about (the GET is reported beside it)."""
    started = time.perf_counter()
    item_ids = dossiers_at_review(env, count + warmup)
    prepared = time.perf_counter() - started
    browser = site.browser(REVIEWER)
    server: list[float] = []
    cpu: list[float] = []
    client: list[float] = []
    opened: list[float] = []
    content_type = ""
    counted = StatementLog(site.app.extensions["db_engine"])
    statements: list[int] = []
    for index, item_id in enumerate(item_ids):
        measured = index >= warmup
        url = f"/instruction/taches/{item_id}"
        # As a reviewer does: open the task page, then send its form. The page gives the CSRF
        # token and the enctype, and shows (so consumes) the previous submission's flash
        # message, which would otherwise pile up in the session cookie.
        token, content_type = _form_of_page(browser, url)
        if measured:
            opened.append(site.timer.last)
        site.timer.profiler = profiler if measured else None
        payload = {**REVIEW_FORM, "csrf_token": token}
        counted.start()
        begin = time.perf_counter()
        response = browser.client.post(url, data=payload, content_type=content_type)
        round_trip = time.perf_counter() - begin
        counted.stop()
        site.timer.profiler = None
        if response.status_code != 302 or not response.headers["Location"].endswith(
            "/instruction/"
        ):
            raise RuntimeError(
                f"completing work item {item_id}: HTTP {response.status_code} "
                f"{response.get_data(as_text=True)[:500]}"
            )
        if measured:
            server.append(site.timer.last)
            cpu.append(site.timer.last_cpu)
            client.append(round_trip)
            statements.append(len(counted.lines))
    counted.close()
    site.timer.profiler = None
    done = completed_count(env, item_ids)
    if done != len(item_ids):
        raise RuntimeError(f"{done} of {len(item_ids)} work items completed")
    return Completions(
        Timings(tuple(server)),
        Timings(tuple(cpu)),
        Timings(tuple(client)),
        Timings(tuple(opened)),
        prepared,
        content_type,
        tuple(statements),
        tuple(counted.lines),
    )


class StatementLog:
    """The SQL statements an engine sends between start() and stop() (transaction control
    apart: BEGIN is sent by us on SQLite, by psycopg on PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lines: list[str] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if self.on and not statement.startswith("BEGIN"):
            self.lines.append(statement.split("\n", 1)[0][:100])

    def start(self) -> None:
        self.lines = []
        self.on = True

    def stop(self) -> None:
        self.on = False

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _form_of_page(browser: Browser, url: str) -> tuple[str, str]:
    """(CSRF token, enctype) of the form that posts to `url`, as the page serves it."""
    page = browser.get(url)
    if page.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {page.status_code}")
    body = page.get_data(as_text=True)
    token = CSRF.search(body)
    form = re.search(rf'<form[^>]*action="{re.escape(url)}"[^>]*>', body)
    if token is None or form is None:
        raise RuntimeError(f"{url}: no task form with a CSRF token")
    multipart = "multipart/form-data" in form.group(0)
    return token.group(1), (
        "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
    )


@dataclass(frozen=True)
class Inbox:
    server: Timings
    cpu: Timings
    size: int


def inbox(site: Site, path: str, count: int, warmup: int = 3) -> Inbox:
    """GET the reviewer's bannette `count` times (after `warmup` untimed ones)."""
    browser = site.browser(REVIEWER)
    server: list[float] = []
    cpu: list[float] = []
    size = 0
    for index in range(count + warmup):
        response = browser.get(path)
        if response.status_code != 200 or "Bannette" not in response.get_data(as_text=True):
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
        if index >= warmup:
            server.append(site.timer.last)
            cpu.append(site.timer.last_cpu)
        size = len(response.get_data())
    return Inbox(Timings(tuple(server)), Timings(tuple(cpu)), size)


@dataclass(frozen=True)
class HttpWalk:
    wall: float
    server: float
    requests: int


def walk_http(env: Env, site: Site, name: str = TWO_ROUNDS) -> HttpWalk:
    """The scenario walked by its users through HTTP (tests/walk.py): each user logged in
    once beforehand; every page a user opens on the way (dossier, bannette, task page,
    form pages) counts, as do the uploads of the pieces."""
    played = env.scenarios[name]
    walker = Walker(site.new_browser, played.organisation)
    walker.browsers = site.browsers  # shared: logged in once per user for all walks
    mark = site.timer.mark()
    started = time.perf_counter()
    walker.play(played)
    wall = time.perf_counter() - started
    durations = site.timer.since(mark)
    status = walker.status_seen_by_demandeur()
    if status != played.expect["statut"]:
        raise RuntimeError(f"HTTP walk of {name} ended « {status} »")
    return HttpWalk(wall, sum(durations), len(durations))


def log_in_everyone(site: Site, emails: list[str]) -> None:
    for email in emails:
        site.browser(email)
