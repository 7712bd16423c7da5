"""What an operator relies on: the log lines of `inventaire run` (the worker's jobs, the
requests; text or JSON), the probes /sante and /sante/pret, and /metrics (its figures, who may
read it, several processes sharing theirs)."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine import jobs
from engine.core.clock import utcnow
from engine.core.db import make_engine, make_session_factory
from engine.core.migrate import upgrade
from engine.core.models import Instance, Job, JobStatus, Organisation
from engine.emails.mailer import SmtpSettings
from engine.jobs import JobKind, NewJob
from engine.jobs.worker import WorkerSettings
from engine.studio import demo, scenario
from engine.wiring import make_worker
from engine.workflow import documents
from tests.dossiers import SCENARIOS
from tests.integration.test_diagram_code import start as start_dossier
from tests.models_fixtures import script_after_task
from tests.support import Browser, text_of
from web import create_app, logs

ROOT = Path(__file__).resolve().parents[2]
NEVER = 120.0  # seconds: only a bound for a server that would never answer, never asserted
REQUESTS = "inventaire_http_request_duration_seconds"
OUTSIDER = "203.0.113.7"


# --- the log lines of `inventaire run` ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: str, check: Callable[[], bool], server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + NEVER
    while time.monotonic() < deadline:
        if check():
            return
        assert server.poll() is None, f"the server stopped before: {condition}"
        time.sleep(0.1)
    raise AssertionError(f"never happened: {condition}")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def seeded_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'inventaire.sqlite3'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with make_session_factory(engine)() as session:
            demo.create_accounts(session)
            # Due now, quickly done: the publication of a dossier that is not there.
            jobs.enqueue(
                session, [NewJob(JobKind.PUBLICATION, "operations", "Publication", None, {})]
            )
            session.commit()
    finally:
        engine.dispose()
    return url


@contextmanager
def served(tmp_path: Path, **variables: str) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """`inventaire run` as an operator starts it, on a SQLite file with accounts (no demo data
    to load) and one due job: yields its address and the file its standard error goes to;
    stopped with Ctrl+C (SIGINT) at the end."""
    database = seeded_database(tmp_path)
    port = free_port()
    errors = tmp_path / "stderr.txt"
    environment = {
        **os.environ,
        "INVENTAIRE_DATABASE_URL": database,
        "INVENTAIRE_SECRET_KEY": "operations-test",
        "INVENTAIRE_UPLOAD_DIR": str(tmp_path / "pieces"),
        "INVENTAIRE_WORKER_POLL_SECONDS": "0.2",
        **variables,
    }
    environment.pop("INVENTAIRE_LOG_LEVEL", None)
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "run", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for("the server answers", lambda: get(f"{url}/sante")[0] == 200, process)
            yield url, errors, process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=NEVER)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_inventaire_run_logs_the_jobs_of_its_worker_and_each_request(tmp_path: Path) -> None:
    with served(tmp_path) as (url, errors, server):
        wait_for("a job line", lambda: " done in " in errors.read_text(), server)
        assert get(f"{url}/sante?nom=Dupont") == (200, '{"statut": "en service"}')
        wait_for("the request's line", lambda: "GET /sante 200 " in errors.read_text(), server)
    lines = errors.read_text().splitlines()
    assert any("INFO inventaire.worker: Worker " in line and "started" in line for line in lines)
    # (Beside the periodic jobs it schedules at its start: the audit trail's, the retention's.)
    [job] = [line for line in lines if "INFO inventaire.worker: Job 1 " in line]
    assert re.search(r"inventaire.worker: Job 1 \(publication\) done in \d+\.\d ms$", job)
    # The probe that waited for the server, then ours: one line each.
    requests = [line for line in lines if " INFO inventaire.web.request: " in line]
    assert len(requests) == 2
    assert all(re.search(r"request: GET /sante 200 \d+\.\d ms$", line) for line in requests)
    assert "Dupont" not in errors.read_text()  # the query string is not logged


def test_inventaire_run_writes_json_lines_when_asked(tmp_path: Path) -> None:
    with served(tmp_path, INVENTAIRE_LOG_FORMAT="json") as (url, errors, server):
        wait_for("a job line", lambda: '"outcome":"done"' in errors.read_text(), server)
        assert get(f"{url}/sante/pret")[0] == 200
        wait_for("the request's line", lambda: "/sante/pret" in errors.read_text(), server)
    records = [json.loads(line) for line in errors.read_text().splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    [job] = [r for r in records if r.get("outcome") == "done" and r.get("job_id") == 1]
    assert job["logger"] == "inventaire.worker" and job["level"] == "INFO"
    assert (job["job_id"], job["kind"], job["attempt"]) == (1, "publication", 1)
    assert job["message"] == f"Job 1 (publication) done in {job['duration_ms']} ms"
    [request] = [record for record in records if record.get("path") == "/sante/pret"]
    assert request["logger"] == "inventaire.web.request" and request["method"] == "GET"
    assert request["route"] == "sante.ready" and request["status"] == 200
    assert isinstance(request["duration_ms"], float)


# --- logging in this process ----------------------------------------------------------------


def test_configuring_again_adds_no_handler_and_keeps_pytest_capture(app: Flask) -> None:
    root, ours = logging.getLogger(), logging.getLogger("inventaire")
    before = list(root.handlers)
    level = ours.level  # set when the app was made (INFO unless told otherwise)
    logs.configure()
    logs.configure("DEBUG", "json")
    assert root.handlers == before  # pytest's capture handlers, nothing of ours beside them
    assert ours.level == level != logging.NOTSET


def test_a_request_line_has_method_path_status_and_duration(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="inventaire.web.request"):
        assert client.get("/sante?nom=Dupont").status_code == 200
        assert client.get("/nulle-part%0AFAUX 200").status_code == 404
    alive, missing = [r for r in caplog.records if r.name == "inventaire.web.request"]
    assert alive.getMessage().startswith("GET /sante 200 ")
    fields = (getattr(alive, "route", ""), getattr(alive, "status", 0), getattr(alive, "path", ""))
    assert fields == ("sante.alive", 200, "/sante")
    assert "Dupont" not in caplog.text
    # A line break someone put in the address stays escaped: one request, one line.
    assert missing.getMessage().startswith("GET /nulle-part%0AFAUX%20200 404 ")
    assert getattr(missing, "route", "") is None


def test_json_lines_carry_the_fields_given_to_the_call() -> None:
    record = logging.LogRecord("inventaire.worker", logging.INFO, "", 0, "Job %s", (3,), None)
    record.job_id = 3
    record.outcome = "done"
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "Job 3" and parsed["logger"] == "inventaire.worker"
    assert (parsed["level"], parsed["job_id"], parsed["outcome"]) == ("INFO", 3, "done")
    assert parsed["time"].endswith("+00:00")


# --- jobs: their lines, their figures -------------------------------------------------------


def deposer(session: Session, upload_dir: Path) -> Instance:
    """A dossier déposé by its submitter: its emails are due jobs."""
    organisation = session.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert organisation is not None
    store = documents.DocumentStore(upload_dir, 2 * 1024 * 1024)
    instance = scenario.start(session, organisation)
    step = SCENARIOS["favorable"].steps[0]
    scenario.play_step(session, store, instance, step, scenario.actor_picker(session, organisation))
    session.commit()
    return instance


def closed_port() -> int:
    return free_port()  # nothing listens there once the probe is closed


def an_email_again(session: Session, instance: Instance, key: str, run_at_hours: float) -> None:
    """One more email job of the dossier (the payload of its first), due `run_at_hours` ago."""
    first = session.scalars(
        select(Job).where(Job.instance_id == instance.id, Job.kind == str(JobKind.EMAIL))
    ).first()
    assert first is not None
    run_at = utcnow() - timedelta(hours=run_at_hours)
    jobs.enqueue(
        session, [NewJob(JobKind.EMAIL, key, first.label, instance.id, first.payload or {}, run_at)]
    )
    session.commit()


def test_each_job_run_and_each_incident_is_one_line(
    session: Session, db_engine: Engine, upload_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    instance = deposer(session, upload_dir)
    sessions = make_session_factory(db_engine)
    with caplog.at_level(logging.INFO, logger="inventaire.worker"):
        ran = make_worker(sessions).run_until_idle()
        an_email_again(session, instance, "operations-incident", 0)
        unreachable = SmtpSettings(host="127.0.0.1", port=closed_port(), timeout=2)
        make_worker(sessions, WorkerSettings(smtp=unreachable, max_attempts=1)).run_until_idle()
    lines = [r for r in caplog.records if r.name == "inventaire.worker"]
    done = [r for r in lines if getattr(r, "outcome", None) == "done"]
    assert len(done) == ran > 0
    assert all(
        r.getMessage().startswith(f"Job {getattr(r, 'job_id', '')} (email) done in ") for r in done
    )
    [failed] = [r for r in lines if getattr(r, "outcome", None) == "incident"]
    assert failed.levelname == "WARNING" and "attempt 1, the last" in failed.getMessage()
    [incident] = [r for r in lines if getattr(r, "incident", None) == "job"]
    assert incident.levelname == "ERROR"
    assert incident.getMessage().startswith(
        f"Incident: job {getattr(failed, 'job_id', '')} (email) of dossier {instance.id} "
        "failed after 1 attempt(s): "
    )
    assert "serveur SMTP 127.0.0.1" in incident.getMessage()


def test_a_process_model_incident_is_one_line(
    session: Session, browser_factory: Callable[[], Browser], caplog: pytest.LogCaptureFixture
) -> None:
    # Stored unchecked (the deployment rules would refuse it): its script fails at run time.
    instance, item = start_dossier(
        session, script_after_task("script_incident_log", "x = 1 / 0"), checked=False
    )
    browser = browser_factory()
    browser.login("demandeur@example.org")
    with caplog.at_level(logging.ERROR, logger="inventaire.web"):
        response = browser.post(f"/demandes/{instance.id}/taches/{item.id}", {"continuer": "oui"})
    assert response.status_code == 422
    [line] = [r for r in caplog.records if getattr(r, "incident", None) == "process"]
    assert line.name == "inventaire.web.taskpage" and line.levelname == "ERROR"
    assert line.getMessage().startswith(
        f"Incident: the process model failed on dossier {instance.id}: "
    )
    assert "ZeroDivisionError" in line.getMessage()


# --- /sante and /sante/pret -----------------------------------------------------------------


@contextmanager
def app_on(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "UPLOAD_DIR": str(tmp_path / "pieces"),
        }
    )
    try:
        yield app
    finally:
        app.extensions["db_engine"].dispose()


def test_the_probes_of_a_working_service(client: FlaskClient) -> None:
    alive = client.get("/sante")
    assert (alive.status_code, alive.get_json()) == (200, {"statut": "en service"})
    assert alive.headers["Cache-Control"] == "no-store"
    ready = client.get("/sante/pret")
    assert ready.status_code == 200
    assert ready.get_json() == {"statut": "prêt", "base": "répond", "migrations": "à jour"}


def test_alive_without_a_database_but_not_ready(tmp_path: Path) -> None:
    unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'inventaire.sqlite3'}"
    with app_on(unreachable, tmp_path) as app:
        client = app.test_client()
        assert client.get("/sante").status_code == 200
        ready = client.get("/sante/pret")
        assert (ready.status_code, ready.get_json()) == (
            503,
            {"statut": "pas prêt", "base": "ne répond pas"},
        )


def test_not_ready_until_the_migrations_are_applied(tmp_path: Path) -> None:
    with app_on(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path) as app:
        client = app.test_client()
        empty = client.get("/sante/pret")
        assert empty.status_code == 503
        answer = empty.get_json()
        assert (answer["statut"], answer["base"]) == ("pas prêt", "répond")
        assert answer["migrations"].startswith("base à la révision aucune, le code attend ")
        assert answer["migrations"].endswith("lancez «\u00a0inventaire db upgrade\u00a0»")
        upgrade(app.extensions["db_engine"])
        assert client.get("/sante/pret").status_code == 200


# --- /metrics --------------------------------------------------------------------------------


# (sample name, its labels sorted) → value
Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(exposition: str) -> Figures:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def scrape(client: FlaskClient, **kwargs: Any) -> Figures:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, text_of(response)
    assert response.headers["Content-Type"].startswith("text/plain")
    return parse(response.get_data(as_text=True))


def requests_count(figures: Figures, route: str, method: str, status: str) -> float:
    key = (f"{REQUESTS}_count", (("method", method), ("route", route), ("status", status)))
    return figures.get(key, 0.0)


def test_metrics_count_requests_by_route_and_status(client: FlaskClient) -> None:
    before = scrape(client)
    for _ in range(3):
        client.get("/sante")
    client.get("/sante/pret")
    client.get("/nulle-part")
    client.open("/sante", method="BREW")  # anyone's method: counted as "other"
    after = scrape(client)

    def added(route: str, method: str, status: str) -> float:
        return requests_count(after, route, method, status) - requests_count(
            before, route, method, status
        )

    assert added("sante.alive", "GET", "200") == 3
    assert added("sante.ready", "GET", "200") == 1
    assert added("unmatched", "GET", "404") == 1  # no view: one label for every such address
    assert added("unmatched", "other", "405") == 1
    assert not any(("method", "BREW") in labels for _name, labels in after)
    bucket = (
        f"{REQUESTS}_bucket",
        (("le", "+Inf"), ("method", "GET"), ("route", "sante.alive"), ("status", "200")),
    )
    assert after[bucket] == requests_count(after, "sante.alive", "GET", "200")


def test_metrics_read_jobs_and_dossiers_from_the_database(
    client: FlaskClient, session: Session, db_engine: Engine, upload_dir: Path
) -> None:
    instance = deposer(session, upload_dir)
    sessions = make_session_factory(db_engine)
    ran = make_worker(sessions).run_until_idle()
    an_email_again(session, instance, "operations-incident", 0)
    unreachable = SmtpSettings(host="127.0.0.1", port=closed_port(), timeout=2)
    make_worker(sessions, WorkerSettings(smtp=unreachable, max_attempts=1)).run_until_idle()
    an_email_again(session, instance, "operations-late", 2)  # due two hours ago, not run
    figures = scrape(client)
    assert figures[("inventaire_database_up", ())] == 1
    jobs_by_status = {
        labels[0][1]: value
        for (name, labels), value in figures.items()
        if name == "inventaire_jobs"
    }
    assert jobs_by_status == {
        JobStatus.DONE: ran,
        JobStatus.FAILED: 1,
        JobStatus.PENDING: 1,
        JobStatus.RUNNING: 0,
        JobStatus.CANCELLED: 0,
    }
    age = figures[("inventaire_jobs_oldest_due_age_seconds", ())]
    assert 2 * 3600 <= age < 3 * 3600
    session.refresh(instance)
    dossiers = {
        labels: value for (name, labels), value in figures.items() if name == "inventaire_dossiers"
    }
    assert dossiers == {(("status", "running"), ("status_label", instance.status_label)): 1}


def test_metrics_still_answer_when_the_database_does_not(tmp_path: Path) -> None:
    unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'inventaire.sqlite3'}"
    with app_on(unreachable, tmp_path) as app:
        client = app.test_client()
        client.get("/sante")
        figures = scrape(client)
    assert figures[("inventaire_database_up", ())] == 0
    assert requests_count(figures, "sante.alive", "GET", "200") == 1
    assert not any(name.startswith("inventaire_jobs") for name, _labels in figures)


def test_metrics_are_for_this_machine_or_the_token_holder(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    scrape(client)  # the test client comes from 127.0.0.1
    scrape(client, environ_base={"REMOTE_ADDR": "::1"})
    outsider = client.get("/metrics", environ_base={"REMOTE_ADDR": OUTSIDER})
    assert outsider.status_code == 404
    assert "La page demandée n'existe pas" in text_of(outsider)
    # Relayed by a proxy not declared trusted: the proxy is local, the visitor is not.
    relayed = client.get("/metrics", headers={"X-Forwarded-For": OUTSIDER})
    assert relayed.status_code == 404

    monkeypatch.setitem(app.config, "METRICS_TOKEN", "jeton-de-supervision")
    away = {"REMOTE_ADDR": OUTSIDER}
    scrape(client, environ_base=away, headers={"Authorization": "Bearer jeton-de-supervision"})
    for wrong in ("Bearer autre-jeton", "jeton-de-supervision", "Basic amV0b24="):
        refused = client.get("/metrics", environ_base=away, headers={"Authorization": wrong})
        assert refused.status_code == 404


_REQUESTS_THEN_EXIT = """
import sys
from web import create_app
app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "SECRET_KEY": "t"})
client = app.test_client()
for _ in range(3):
    assert client.get("/sante").status_code == 200
if len(sys.argv) > 2:
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def test_processes_sharing_a_multiprocess_directory_report_their_requests_together(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    with app_on(database, tmp_path) as app:
        upgrade(app.extensions["db_engine"])
    shared = tmp_path / "prometheus"
    shared.mkdir()
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared), "PYTHONPATH": str(ROOT)}
    script = [sys.executable, "-c", _REQUESTS_THEN_EXIT, database]

    def run(*extra: str) -> str:
        done = subprocess.run(
            [*script, *extra],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=NEVER,
            check=True,
        )
        return done.stdout

    run()  # a first process serves three requests and ends
    exposed = run("scrape")  # a second one serves three more, then is scraped
    figures = parse(exposed)
    assert requests_count(figures, "sante.alive", "GET", "200") == 6
    assert figures[("inventaire_database_up", ())] == 1
