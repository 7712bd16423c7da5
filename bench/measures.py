"""The HTTP measures: a reviewer completing tasks, the reviewer's inbox, a whole walk."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.client import Site
from bench.dossiers import REVIEWER, TWO_ROUNDS, Env, completed_count, dossiers_at_review
from bench.report import Timings
from tests.walk import Walker

# The recevabilité's decision as a browser posts it (multipart, as the task page's form).
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
    client: Timings  # client.post round trip (test client encoding and parsing included)
    prepare_seconds: float


def complete_tasks(
    env: Env, site: Site, count: int, warmup: int, *, profiler: object = None
) -> Completions:
    """recevabilite@ completes `count` (+ `warmup`) claimed `examiner_recevabilite` tasks.

    The dossiers are brought there by the engine; only the POST of the task form is timed."""
    started = time.perf_counter()
    item_ids = dossiers_at_review(env, count + warmup)
    prepared = time.perf_counter() - started
    browser = site.browser(REVIEWER)
    token = browser.csrf(f"/instruction/taches/{item_ids[0]}")  # the page the form is on
    server: list[float] = []
    client: list[float] = []
    for index, item_id in enumerate(item_ids):
        measured = index >= warmup
        site.timer.profiler = profiler if measured else None
        payload = {**REVIEW_FORM, "csrf_token": token}
        begin = time.perf_counter()
        response = browser.client.post(
            f"/instruction/taches/{item_id}", data=payload, content_type="multipart/form-data"
        )
        round_trip = time.perf_counter() - begin
        if response.status_code != 302 or not response.headers["Location"].endswith(
            "/instruction/"
        ):
            raise RuntimeError(
                f"completing work item {item_id}: HTTP {response.status_code} "
                f"{response.get_data(as_text=True)[:500]}"
            )
        if measured:
            server.append(site.timer.last)
            client.append(round_trip)
    site.timer.profiler = None
    done = completed_count(env, item_ids)
    if done != len(item_ids):
        raise RuntimeError(f"{done} of {len(item_ids)} work items completed")
    return Completions(Timings(tuple(server)), Timings(tuple(client)), prepared)


def inbox(site: Site, path: str, count: int, warmup: int = 3) -> tuple[Timings, int]:
    """GET the reviewer's corbeille `count` times; (server timings, response size)."""
    browser = site.browser(REVIEWER)
    server: list[float] = []
    size = 0
    for index in range(count + warmup):
        response = browser.get(path)
        if response.status_code != 200 or "Corbeille" not in response.get_data(as_text=True):
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
        if index >= warmup:
            server.append(site.timer.last)
        size = len(response.get_data())
    return Timings(tuple(server)), size


@dataclass(frozen=True)
class HttpWalk:
    wall: float
    server: float
    requests: int


def walk_http(env: Env, site: Site, name: str = TWO_ROUNDS) -> HttpWalk:
    """The scenario walked by its users through HTTP (tests/walk.py): each user logged in
    once beforehand; every page a user opens on the way (dossier, corbeille, task page,
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
