"""Two processes serving one PostgreSQL database never double an effect.

`inventaire serve --workers 2` runs as an operator starts it (a real child process, gunicorn's
workers forked from it, on 127.0.0.1) against the tests' database, and many threads race it
over real HTTP: the same task taken by two reviewers, the same reviewer's task completed from
a dozen browser tabs, the same draft filed by a double-clicking submitter, the same API request
sent again with its Idempotency-Key while the first is under way. Every race leaves exactly
what one request leaves (compared with a twin dossier that got one request: submissions, audit
events, queued jobs, work items, status), the others are told in French, nobody gets a 500,
and the server's log lines show both processes answered.

The dossiers are brought to the step raced in this process (the app fixture, same database);
the races go through the server only. On any database: `--with-worker` gives each process its
job worker and still runs every job once; a PostgreSQL address without a shared secret key, or
an in-memory SQLite one, is refused in French before anything starts.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from engine.core.db import make_engine
from engine.core.models import AuditEvent, Instance, Job, Submission, User, WorkItem
from engine.jobs import JobKind
from engine.people import accounts
from tests.api import token_for
from tests.dossiers import data_of, open_item, walk_until
from tests.integration.test_api_dossiers import _filing_data
from tests.integration.test_operations import seeded_database
from tests.live_server import HttpUser, Reply
from tests.support import CSRF, Browser, location_id, multipart
from tests.walk import Walker, as_posted, form_of

ROOT = Path(__file__).resolve().parents[2]
NEVER = 120.0  # seconds: a bound for a server that would never answer, never asserted
RACERS = 12
ROSE = "recevabilite@example.org"
ROLAND = "recevabilite2@example.org"
DEMANDEUR = "demandeur@example.org"
RECEVABLE = data_of("favorable", "examiner_recevabilite")
FILING = data_of("favorable", "saisir_demande")
ANNOUNCE = re.compile(r"^Inventaire en service sur (http://127\.0\.0\.1:\d+) \(2 processus")

NewBrowser = Callable[[], Browser]


@dataclass
class Server:
    url: str
    log: Path
    process: subprocess.Popen[str]

    def log_size(self) -> int:
        return self.log.stat().st_size

    def request_pids(self, since: int) -> set[int]:
        """The processes that logged a request since that point of the log (JSON lines)."""
        with self.log.open("rb") as lines:
            lines.seek(since)
            records = [json.loads(line) for line in lines if line.startswith(b"{")]
        return {r["pid"] for r in records if r.get("logger") == "inventaire.web.request"}


def _environment(database_url: str, upload_dir: Path, processes: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "INVENTAIRE_DATABASE_URL": database_url,
        "INVENTAIRE_SECRET_KEY": "deux-processus",
        "INVENTAIRE_UPLOAD_DIR": str(upload_dir),
        # Nothing to deploy: the tests' database has its versions already.
        "INVENTAIRE_PROCESSES_DIR": str(processes),
        "INVENTAIRE_LOG_FORMAT": "json",
        "INVENTAIRE_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return environment


@pytest.fixture(scope="module")
def server(
    db_engine: Engine,
    database_url: str,
    upload_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    if db_engine.dialect.name != "postgresql":
        pytest.skip(
            "Several processes on one database are PostgreSQL's case (SQLite takes one writer "
            "at a time): run with TEST_DATABASE_URL=postgresql://…"
        )
    folder = tmp_path_factory.mktemp("serve")
    (folder / "processus").mkdir()
    log = folder / "stderr.jsonl"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--workers", "2", "--port", "0"],
            cwd=ROOT,
            env=_environment(database_url, upload_dir, folder / "processus"),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put("")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while True:
            line = lines.get(timeout=NEVER)
            assert line, f"the server stopped: {log.read_text()[-3000:]}"
            found = ANNOUNCE.match(line)
            if found:
                break
        served = Server(found.group(1), log, process)
        assert HttpUser(served.url).get("/sante").status == 200
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=NEVER)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=NEVER)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def second_reviewer(session: Session) -> None:
    """A second holder of the recevabilité role (accounts outlive the tests)."""
    if session.scalar(select(User.id).where(User.email == ROLAND)) is None:
        accounts.create_user(
            session,
            email=ROLAND,
            name="Roland Recevabilité",
            password="inventaire",
            enforce_policy=False,
            roles=["recevabilite"],
        )
        session.commit()


# --- what a dossier holds ----------------------------------------------------------------


def effects(session: Session, instance_id: int) -> Counter[tuple[Any, ...]]:
    """What actions leave on a dossier, counted: submissions by task, audit events by kind
    (pieces aside: a racer's upload is kept like any upload), jobs by kind, work items by task
    and status, and its status."""
    session.rollback()
    found: Counter[tuple[Any, ...]] = Counter()
    for (task,) in session.execute(
        select(Submission.task_spec).where(Submission.instance_id == instance_id)
    ):
        found["submission", task] += 1
    for (kind,) in session.execute(
        select(AuditEvent.kind).where(
            AuditEvent.instance_id == instance_id, AuditEvent.kind != "piece"
        )
    ):
        found["audit", kind] += 1
    for (kind,) in session.execute(select(Job.kind).where(Job.instance_id == instance_id)):
        found["job", kind] += 1
    for task, status in session.execute(
        select(WorkItem.task_spec, WorkItem.status).where(WorkItem.instance_id == instance_id)
    ):
        found["work item", task, str(status)] += 1
    instance = session.get(Instance, instance_id, populate_existing=True)
    assert instance is not None
    found["status", instance.status_label] += 1
    found["has a reference", instance.reference is not None] += 1
    return found


def changes(before: Counter[tuple[Any, ...]], after: Counter[tuple[Any, ...]]) -> dict[Any, int]:
    keys = before.keys() | after.keys()
    return {key: after[key] - before[key] for key in keys if after[key] != before[key]}


# --- users over HTTP ---------------------------------------------------------------------


class Tab(HttpUser):
    """A browser talking to the server: forms sent as multipart, as the pages send them."""

    def token(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, (path, page.status, page.text[:500])
        match = CSRF.search(page.body)
        assert match, path
        return match.group(1)

    def send(self, path: str, data: dict[str, Any], token: str) -> Reply:
        body, content_type = multipart({**data, "csrf_token": token})
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Content-Type": content_type}
        )
        try:
            with self._opener().open(request, timeout=self.timeout) as reply:
                return Reply(reply.status, reply.read().decode(), dict(reply.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), dict(error.headers))

    def api(self, method: str, path: str, secret: str, body: Any, **headers: str) -> Reply:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {secret}",
                "Content-Type": "application/json",
                **headers,
            },
        )
        try:
            with self._opener().open(request, timeout=self.timeout) as reply:
                return Reply(reply.status, reply.read().decode(), dict(reply.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), dict(error.headers))


def signed_in(server: Server, email: str) -> Tab:
    user = Tab(server.url)
    user.login(email)
    return user


def race(shots: list[Callable[[], Reply]]) -> list[Reply]:
    """Every shot fired at the same moment from its own thread; their answers in order."""
    barrier = threading.Barrier(len(shots), timeout=NEVER)
    answers: list[Reply | BaseException | None] = [None] * len(shots)

    def fire(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = shots[index]()
        except BaseException as error:  # reported below, not lost in the thread
            answers[index] = error

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(len(shots))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=NEVER)
    failures = [answer for answer in answers if not isinstance(answer, Reply)]
    assert failures == [], failures
    return [answer for answer in answers if isinstance(answer, Reply)]


def assert_both_processes_answered(server: Server, since: int) -> None:
    pids = server.request_pids(since)
    assert len(pids) == 2, f"the requests were answered by {pids}"


def assert_no_server_error(answers: list[Reply]) -> None:
    assert [a.status for a in answers if a.status >= 500] == [], [
        a.text[:500] for a in answers if a.status >= 500
    ]


def at_recevabilite(browser_factory: NewBrowser) -> int:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    assert walker.dossier_id is not None
    return walker.dossier_id


# --- the races ---------------------------------------------------------------------------


@pytest.mark.usefixtures("second_reviewer")
def test_a_task_taken_and_completed_from_many_tabs_at_once_moves_once(
    server: Server, browser_factory: NewBrowser, session: Session
) -> None:
    twin, raced = at_recevabilite(browser_factory), at_recevabilite(browser_factory)
    start = server.log_size()
    form = form_of("examiner_recevabilite")

    # The twin: taken once, completed once.
    before_twin = effects(session, twin)
    rose = signed_in(server, ROSE)
    url = f"/instruction/taches/{open_item(session, twin, 'examiner_recevabilite')}"
    assert rose.send(f"{url}/prendre", {}, rose.token(url)).status == 302
    assert rose.send(url, as_posted(form, RECEVABLE), rose.token(url)).status == 302
    once = changes(before_twin, effects(session, twin))

    # Two reviewers, six tabs each, take the same task at the same moment.
    before = effects(session, raced)
    item = open_item(session, raced, "examiner_recevabilite")
    url = f"/instruction/taches/{item}"
    tabs = [signed_in(server, (ROSE, ROLAND)[n % 2]) for n in range(RACERS)]
    tokens = [tab.token(url) for tab in tabs]
    taken = race(
        [
            lambda tab=tab, token=token: tab.send(f"{url}/prendre", {}, token)  # type: ignore[misc]
            for tab, token in zip(tabs, tokens, strict=True)
        ]
    )
    assert_no_server_error(taken)
    assert sorted(answer.status for answer in taken) == [302] + [409] * (RACERS - 1)
    winner = tabs[[answer.status for answer in taken].index(302)]
    for answer in taken:
        if answer.status == 409:
            assert (
                "Vous avez déjà pris en charge cette tâche." in answer.text
                or "a été prise en charge par" in answer.text
            ), answer.text[:1500]
    session.rollback()
    claimer = session.scalar(select(WorkItem.claimed_by_id).where(WorkItem.id == item))
    winner_email = ROSE if tabs.index(winner) % 2 == 0 else ROLAND
    assert claimer == session.scalar(select(User.id).where(User.email == winner_email))

    # The one who took it sends the form from all their tabs at once.
    theirs = [tab for n, tab in enumerate(tabs) if (ROSE, ROLAND)[n % 2] == winner_email]
    theirs += [signed_in(server, winner_email) for _ in range(RACERS - len(theirs))]
    tokens = [tab.token(url) for tab in theirs]
    posted = as_posted(form, RECEVABLE)
    completed = race(
        [
            lambda tab=tab, token=token: tab.send(url, posted, token)  # type: ignore[misc]
            for tab, token in zip(theirs, tokens, strict=True)
        ]
    )
    assert_no_server_error(completed)
    assert sorted(answer.status for answer in completed) == [302] + [409] * (RACERS - 1)
    for answer in completed:
        if answer.status == 409:
            assert "Action déjà effectuée" in answer.text, answer.text[:1500]
            assert "a déjà été traitée par Ro" in answer.text, answer.text[:1500]

    # What the race left is what one taking and one completion left on the twin.
    assert changes(before, effects(session, raced)) == once
    assert once[("submission", "examiner_recevabilite")] == 1
    assert once[("audit", "prise_en_charge")] == 1
    assert_both_processes_answered(server, start)


def test_a_draft_filed_from_two_clicks_at_once_is_filed_once(
    server: Server, browser_factory: NewBrowser, session: Session
) -> None:
    form = form_of("saisir_demande")
    pages = list(form.pages)
    last = pages[-1]
    drafts = []
    for _ in range(2):
        walker = Walker(browser_factory, "ministere")
        created = walker.demandeur.post(
            "/demandes/nouvelle", {"processus": "recensement"}, from_page="/demandes/"
        )
        dossier = location_id(created, r"/demandes/(\d+)/saisie")
        for page in pages[:-1]:
            values = {name: value for name, value in FILING.items() if name in page.fields}
            saved = walker.demandeur.post(
                f"/demandes/{dossier}/saisie/{page.id}",
                as_posted(form, values) | {"_action": "suivant"},
                content_type="multipart/form-data",
            )
            assert saved.status_code == 302
        drafts.append(dossier)
    twin, raced = drafts
    start = server.log_size()
    values = {name: value for name, value in FILING.items() if name in last.fields}

    def clicked(user: Tab, dossier: int, token: str) -> Reply:
        # Each click sends its own copy of the page's files, as a browser would.
        posted = as_posted(form, values) | {"_action": "deposer"}
        return user.send(f"/demandes/{dossier}/saisie/{last.id}", posted, token)

    before_twin = effects(session, twin)
    user = signed_in(server, DEMANDEUR)
    path = f"/demandes/{twin}/saisie/{last.id}"
    assert clicked(user, twin, user.token(path)).status == 302
    once = changes(before_twin, effects(session, twin))

    before = effects(session, raced)
    path = f"/demandes/{raced}/saisie/{last.id}"
    tabs = [signed_in(server, DEMANDEUR) for _ in range(RACERS)]
    tokens = [tab.token(path) for tab in tabs]
    answers = race(
        [
            lambda tab=tab, token=token: clicked(tab, raced, token)  # type: ignore[misc]
            for tab, token in zip(tabs, tokens, strict=True)
        ]
    )
    assert_no_server_error(answers)
    filed_here = 0
    for tab, answer in zip(tabs, answers, strict=True):
        if answer.status == 409:
            assert "a déjà été traitée par" in answer.text or "modifié" in answer.text, answer.text[
                :1500
            ]
            continue
        assert answer.status == 302, answer.text[:1500]
        assert answer.headers["Location"].endswith(f"/demandes/{raced}")
        # The page it leads to (maybe from the other process) says what became of the click.
        page = tab.get(f"/demandes/{raced}").text
        if "déposée sous la référence" in page:
            filed_here += 1
        else:
            assert "Cette demande a déjà été déposée" in page, page[:1500]
    assert filed_here == 1
    after = changes(before, effects(session, raced))
    # Drafts saved by the clicks that came first are kept like any saved draft; the filing,
    # its status, its work items and its emails are there once.
    assert {k: v for k, v in after.items() if k[:2] != ("audit", "brouillon")} == {
        k: v for k, v in once.items() if k[:2] != ("audit", "brouillon")
    }
    assert once[("submission", "saisir_demande")] == 1
    assert once[("audit", "depot")] == 1
    assert_both_processes_answered(server, start)


def test_an_api_request_sent_again_with_its_key_while_under_way_acts_once(
    server: Server, client: FlaskClient, session: Session
) -> None:
    secret = token_for(session, DEMANDEUR)
    start = server.log_size()
    session.rollback()
    dossiers_before = session.scalar(select(func.count()).select_from(Instance)) or 0
    caller = Tab(server.url)

    created = race(
        [
            lambda: caller.api(
                "POST",
                "/api/v1/dossiers",
                secret,
                {"processus": "recensement"},
                **{"Idempotency-Key": "deux-processus-creation"},
            )
            for _ in range(RACERS)
        ]
    )
    assert_no_server_error(created)
    assert {answer.status for answer in created} == {201}, [a.text for a in created]
    assert len({answer.body for answer in created}) == 1  # the same answer for everyone
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in created) == RACERS - 1
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Instance)) == dossiers_before + 1
    dossier = int(json.loads(created[0].body)["id"])

    # Filled in this process, then filed by the same request sent a dozen times at once.
    data = _filing_data(client, secret, dossier)
    made = caller.api("POST", "/api/v1/dossiers", secret, {"processus": "recensement"})
    twin = int(json.loads(made.body)["id"])
    twin_data = _filing_data(client, secret, twin)
    before_twin = effects(session, twin)
    assert (
        caller.api("POST", f"/api/v1/dossiers/{twin}/depot", secret, {"donnees": twin_data}).status
        == 201
    )
    once = changes(before_twin, effects(session, twin))

    before = effects(session, dossier)
    filed = race(
        [
            lambda: caller.api(
                "POST",
                f"/api/v1/dossiers/{dossier}/depot",
                secret,
                {"donnees": data},
                **{"Idempotency-Key": "deux-processus-depot"},
            )
            for _ in range(RACERS)
        ]
    )
    assert_no_server_error(filed)
    assert {answer.status for answer in filed} == {201}, [a.text for a in filed]
    assert len({answer.body for answer in filed}) == 1
    assert changes(before, effects(session, dossier)) == once
    assert once[("submission", "saisir_demande")] == 1
    assert_both_processes_answered(server, start)


# --- on any database: the processes' own job workers ---------------------------------------


def test_each_process_runs_a_job_worker_when_asked_and_every_job_runs_once(
    tmp_path: Path,
) -> None:
    """`--with-worker` on a scratch SQLite file with one due job: each process starts its job
    worker, the job runs once, the periodic jobs are scheduled once, and Ctrl+C stops it all."""
    database = seeded_database(tmp_path)
    (tmp_path / "processus").mkdir()
    log = tmp_path / "stderr.jsonl"
    environment = _environment(database, tmp_path / "pieces", tmp_path / "processus")
    environment["INVENTAIRE_WORKER_POLL_SECONDS"] = "0.2"
    command = ["serve", "--workers", "2", "--threads", "2", "--with-worker", "--port", "0"]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", *command],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    try:
        line = process.stdout.readline().strip()
        assert line.endswith("(2 processus de 2 fils, un travailleur intégré par processus)"), (
            line,
            log.read_text()[-2000:],
        )
        assert "préférez PostgreSQL" in process.stdout.readline()
        url = line.split(" sur ", 1)[1].split(" ", 1)[0]
        assert HttpUser(url).get("/sante/pret").status == 200

        def records() -> list[dict[str, Any]]:
            return [json.loads(row) for row in log.read_text().splitlines() if row[:1] == "{"]

        deadline = time.monotonic() + NEVER
        while time.monotonic() < deadline:
            found = records()
            started = {
                r["pid"]
                for r in found
                if "started" in r["message"] and r["logger"] == "inventaire.worker"
            }
            done = [r for r in found if r.get("job_id") == 1 and r.get("outcome") == "done"]
            if len(started) == 2 and done:
                break
            assert process.poll() is None, log.read_text()[-3000:]
            time.sleep(0.2)
        assert len(started) == 2, "each process starts its own job worker"
        assert len(done) == 1
    finally:
        process.send_signal(signal.SIGINT)
        stopped = process.wait(timeout=NEVER)
        process.stdout.close()
    assert stopped == 0
    assert "Traceback" not in log.read_text()
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Job.kind, Job.status)).all()
    finally:
        engine.dispose()
    kinds = Counter((kind, str(status)) for kind, status in rows)
    # The publication ran once. Each periodic job ran its slot once and waits for its next
    # (scheduled by the parent at the start, then by the run): never two of a slot.
    assert kinds[str(JobKind.PUBLICATION), "done"] == 1
    for periodic in (JobKind.AUDIT_CHAINAGE, JobKind.RETENTION):
        assert kinds[str(periodic), "pending"] == 1, kinds
        assert kinds[str(periodic), "done"] <= 1, kinds
    assert sum(kinds.values()) <= 5, kinds


# --- a server that cannot start says why --------------------------------------------------


def test_serve_refuses_postgresql_without_a_shared_secret_key(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        # Never reached: the settings are checked first.
        "INVENTAIRE_DATABASE_URL": "postgresql://personne@127.0.0.1:9/inventaire",
        "INVENTAIRE_UPLOAD_DIR": str(tmp_path / "pieces"),
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("INVENTAIRE_SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", "serve", "--workers", "2", "--port", "0"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=NEVER,
    )
    assert done.returncode == 78
    assert "INVENTAIRE_SECRET_KEY n'est pas définie" in done.stderr
    assert "doivent partager la même clé secrète" in done.stderr
    assert "«\u00a0inventaire serve\u00a0» n'a pas démarré." in done.stderr
    assert "Traceback" not in done.stderr
    assert "en service" not in done.stdout
    assert not (tmp_path / "instance").exists()  # nothing written


def test_serve_refuses_an_in_memory_sqlite_database(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "INVENTAIRE_DATABASE_URL": "sqlite://",
        "INVENTAIRE_SECRET_KEY": "essai",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", "serve", "--port", "0"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=NEVER,
    )
    assert done.returncode == 78
    assert "base SQLite en mémoire" in done.stderr and "chaque processus" in done.stderr
    assert "Traceback" not in done.stderr
