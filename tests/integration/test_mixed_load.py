"""A bounded mixed load against a real server process: submitters filing dossiers, answering
complements and writing messages, the secretariat and the rapporteurs completing their tasks
(taking the same ones at the same moment), the public searching the register, while two
workers run the jobs. On PostgreSQL 20 users for 30 s; on SQLite, whose writers queue behind
one lock, a smaller variant (6 users, 8 s).

Afterwards every dossier is consistent (engine/workflow/consistency.py: its work items are its
workflow's ready tasks, each filed form has its audit event), the audit trail verifies, what
the users were told was done is in the database exactly once (dossiers filed, forms
completed, messages), no server error was answered, and every job ran once: each email job
made one email, none lost, none doubled."""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.core.models import (
    AuditEvent,
    Email,
    Instance,
    Message,
    Submission,
)
from engine.wiring import make_worker
from tests.dossiers import data_of
from tests.live_server import HttpUser, Reply, live_server
from tests.load_checks import (
    audit_breaks,
    count,
    emails_against_jobs,
    inconsistencies,
    jobs_left,
)
from tests.support import CSRF, multipart
from tests.walk import NAME_OF, as_posted, form_of, option_value

log = logging.getLogger("inventaire.tests.load")
FILING = data_of("favorable", "saisir_demande")
RECEVABLE = data_of("favorable", "examiner_recevabilite")
COMPLEMENTS = data_of("complements_recevabilite_puis_instruction", "examiner_recevabilite")
ANSWER = data_of("complements_recevabilite_puis_instruction", "completer_demande")
INSTRUCTION = data_of("favorable", "instruire_demande")
SUBMITTERS = (
    "demandeur@example.org",
    "demandeur2@example.org",
    "demandeur3@example.org",
    "mandataire@example.org",
)
TASK_LINK = re.compile(r'href="/instruction/taches/(\d+)"')
OWN_TASK = re.compile(r'href="/demandes/(\d+)/taches/(\d+)"')
FILED = re.compile(r'href="/demandes/(\d+)"')


@dataclass
class Tally:
    """What the users were told was done, and what went wrong."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    filed: set[int] = field(default_factory=set)
    completed: Counter[str] = field(default_factory=Counter)
    messages: int = 0
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)
    asked_complements: set[int] = field(default_factory=set)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


class User(HttpUser):
    """A user of the load: forms sent as the browser sends them, every answer checked."""

    tally: Tally

    def send(self, path: str, data: dict[str, Any], *, from_page: str | None = None) -> Reply:
        page = self.get(from_page or path)
        match = CSRF.search(page.body)
        if match is None:
            return page
        body, content_type = multipart({**data, "csrf_token": match.group(1)})
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Content-Type": content_type}
        )
        try:
            with self._opener().open(request, timeout=self.timeout) as reply:
                answer = Reply(reply.status, reply.read().decode(), dict(reply.headers))
        except urllib.error.HTTPError as error:
            answer = Reply(error.code, error.read().decode(), dict(error.headers))
        if answer.status >= 500:
            self.tally.error(f"{answer.status} on POST {path}")
        return answer

    def look(self, path: str) -> Reply:
        reply = self.get(path)
        if reply.status >= 500:
            self.tally.error(f"{reply.status} on GET {path}")
        return reply


def file_dossier(user: User) -> None:
    created = user.send("/demandes/nouvelle", {}, from_page="/demandes/")
    found = re.search(r"/demandes/(\d+)/saisie", created.headers.get("Location", ""))
    if created.status != 302 or found is None:
        user.tally.error(f"no draft: {created.status}")
        return
    dossier = int(found.group(1))
    form = form_of("saisir_demande")
    pages = list(form.pages)
    for index, page in enumerate(pages):
        values = {name: value for name, value in FILING.items() if name in page.fields}
        posted = as_posted(form, values)
        posted["_action"] = "deposer" if index == len(pages) - 1 else "suivant"
        reply = user.send(f"/demandes/{dossier}/saisie/{page.id}", posted)
        if reply.status != 302:
            user.tally.error(f"filing page {page.id}: {reply.status} {reply.text[:300]}")
            return
    with user.tally.lock:
        user.tally.filed.add(dossier)


def answer_complements(user: User) -> None:
    listing = user.look("/demandes/")
    tasks = OWN_TASK.findall(listing.body)
    if tasks:
        dossier, item = random.choice(tasks)
        posted = as_posted(form_of("completer_demande"), ANSWER)
        reply = user.send(f"/demandes/{dossier}/taches/{item}", posted)
        record(user, "completer_demande", reply)
    filed = FILED.findall(listing.body)
    if filed and random.random() < 0.5:
        reply = user.send(
            f"/demandes/{random.choice(filed)}/messages",
            {"texte": "Une question sur notre dossier."},
            from_page="/demandes/",
        )
        if reply.status == 302:
            with user.tally.lock:
                user.tally.messages += 1


def record(user: User, task: str, reply: Reply) -> None:
    with user.tally.lock:
        if reply.status == 302:
            user.tally.completed[task] += 1
        elif reply.status == 409:
            user.tally.conflicts += 1
        else:
            user.tally.errors.append(f"{task}: {reply.status} {reply.text[:300]}")


def review(user: User, step: str) -> None:
    inbox = user.look(f"/instruction/?etape={step}")
    items = TASK_LINK.findall(inbox.body)
    if not items:
        return
    url = f"/instruction/taches/{random.choice(items)}"
    page = user.look(url)
    if "Vous avez pris en charge cette tâche." not in page.text:
        taken = user.send(f"{url}/prendre", {}, from_page=url)
        if taken.status != 302:
            record(user, step, taken)
            return
        page = user.look(url)
    dossier = re.search(r'href="/instruction/dossiers/(\d+)"', page.body)
    data: dict[str, Any]
    if step == "examiner_recevabilite":
        # Half the dossiers are asked for complements once (their submitter answers).
        number = int(dossier.group(1)) if dossier else 1
        with user.tally.lock:
            ask = number % 2 == 0 and number not in user.tally.asked_complements
            if ask:
                user.tally.asked_complements.add(number)
        data = as_posted(form_of(step), COMPLEMENTS if ask else RECEVABLE)
    elif step == "designer_rapporteur":
        data = {"rapporteur_id": option_value(page.body, NAME_OF["rapporteur@example.org"])}
    else:
        data = as_posted(form_of(step), INSTRUCTION)
    record(user, step, user.send(url, data))


def search(user: User) -> None:
    for path in ("/registre?q=conduite", "/registre", "/statistiques", "/registre?q=engins"):
        user.look(path)


def loop(user: User, email: str | None, role: str, until: float) -> None:
    try:
        if email:
            user.login(email)
        while time.monotonic() < until:
            if role == "submitter":
                if random.random() < 0.5:
                    file_dossier(user)
                answer_complements(user)
            elif role == "secretariat":
                review(user, random.choice(("examiner_recevabilite", "designer_rapporteur")))
            elif role == "rapporteur":
                review(user, "instruire_demande")
            else:
                search(user)
    except Exception as error:  # a failed request must fail the test, not end the thread quietly
        user.tally.error(f"{role} {email}: {error!r}")


def users(count: int) -> list[tuple[str | None, str]]:
    """The mix: 40 % submitters, 20 % secretariat, 15 % rapporteur (one at least), the rest
    public."""
    submitters = round(0.4 * count)
    secretariat = max(1, round(0.2 * count))
    rapporteurs = max(1, round(0.15 * count))
    public = count - submitters - secretariat - rapporteurs
    return (
        [(SUBMITTERS[n % len(SUBMITTERS)], "submitter") for n in range(submitters)]
        + [("recevabilite@example.org", "secretariat")] * secretariat
        + [("rapporteur@example.org", "rapporteur")] * rapporteurs
        + [(None, "public")] * public
    )


def test_a_mixed_load_leaves_every_dossier_consistent(
    app: Flask, db_engine: Engine, database_url: str, session: Session, tmp_path: Path
) -> None:
    postgres = db_engine.dialect.name == "postgresql"
    people, seconds = (20, 30.0) if postgres else (6, 8.0)
    tally = Tally()
    sessions = app.extensions["db_sessions"]
    stop = threading.Event()
    workers = [
        threading.Thread(target=make_worker(sessions, name=f"load-{n}").run, args=(stop,))
        for n in range(2)
    ]
    with live_server(database_url, tmp_path) as base:
        for worker in workers:
            worker.start()
        until = time.monotonic() + seconds
        threads = []
        for email, role in users(people):
            user = User(base)
            user.tally = tally
            threads.append(threading.Thread(target=loop, args=(user, email, role, until)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        for worker in workers:
            worker.join()
    make_worker(sessions).run_until_idle()

    log.info(
        "Mixed load: %d users, %d dossiers filed, tasks completed %s, %d conflicts, %d messages",
        people,
        len(tally.filed),
        dict(tally.completed),
        tally.conflicts,
        tally.messages,
    )
    assert tally.errors == []
    assert tally.filed, "no dossier was filed"
    assert sum(tally.completed.values()) > 0, "no task was completed"
    session.rollback()
    # What the users were told was done is there, once.
    filed = set(session.scalars(select(Instance.id).where(Instance.reference.is_not(None))))
    assert filed == tally.filed
    done = count(session, Submission, Submission.task_spec != "saisir_demande")
    assert done == sum(tally.completed.values())
    assert count(session, Submission, Submission.task_spec == "saisir_demande") == len(filed)
    assert count(session, Message) == tally.messages
    assert count(session, AuditEvent, AuditEvent.kind == "depot") == len(filed)
    # Every dossier consistent, the trail whole, every job run once (tests/load_checks.py).
    assert inconsistencies(session) == []
    assert audit_breaks(session, app.config["SECRET_KEY"]) == []
    assert jobs_left(session) == []
    assert emails_against_jobs(session) == []
    acknowledged = count(session, Email, Email.template == "accuse_depot")
    assert acknowledged >= len(filed)
