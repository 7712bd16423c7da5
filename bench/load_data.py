"""The load test's database: the demo, reviewers with work waiting, a register to search.

- the demo (engine/studio/demo.py: accounts, organisations, a dozen dossiers, real fiches), as
  `inventaire demo` makes it;
- one account per reviewing virtual user, each signed in as its own person so that reviewers
  never race for a task: secretariat agents (role `recevabilite`, secretariat01@…) and
  rapporteurs (role `rapporteur`, rapporteur01@…);
- `dossiers` filed dossiers waiting for them, shared out in proportion: at *Examiner la
  recevabilité* taken by a secretariat agent, at *Instruire la demande* designated to (and so
  held by) a rapporteur. They are copies (bench/clones.py) of dossiers the engine brings there,
  one per reviewer and submitting organisation;
- `register` made-up fiches in the public register (bench/register_search.py's vocabulary).

A secretariat's every member is emailed when a task reaches its queue: the secretariat is kept
to the demo's account and the agents the mix signs in, as a service would have it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bench import clones, database, register_search
from bench.dossiers import FAVORABLE, PROCESS_DIR, Env, play
from engine.core.actor import Actor
from engine.core.audit_chain import link_pending
from engine.core.clock import utcnow
from engine.core.db import make_session_factory
from engine.core.models import Organisation, User, WorkItem, WorkItemStatus
from engine.core.pieces import DocumentStore
from engine.definitions.definition import clear_cache
from engine.people import accounts
from engine.studio import demo, scenario
from engine.studio.scenario import Step
from engine.workflow.actions import claims

# The organisations whose dossiers wait (the mandataire files for the CPNE: left out).
ORGANISATIONS = ("ministere", "cpne", "organisation_cncp")
SUBMITTERS = (
    "demandeur@example.org",
    "demandeur2@example.org",
    "demandeur3@example.org",
    "mandataire@example.org",
)
FIRST_NUMBER = 20_001  # references INV-<year>-20001…: never those the engine's counter gives
SECRETARIAT, RAPPORTEUR = "secretariat", "rapporteur"
# role of the mix → (account role, the task its dossiers wait at, steps of `favorable` before it)
REVIEWERS = {
    SECRETARIAT: ("recevabilite", "examiner_recevabilite", 1),
    RAPPORTEUR: ("rapporteur", "instruire_demande", 3),
}


def reviewer_email(role: str, number: int) -> str:
    return f"{role}{number:02d}@example.org"


def reviewers_for(role: str, count: int) -> tuple[str, ...]:
    return tuple(reviewer_email(role, n) for n in range(1, count + 1))


@dataclass(frozen=True)
class Prepared:
    url: str
    engine: Engine
    upload_dir: Path
    reviewers: dict[str, tuple[str, ...]]  # role of the mix → emails
    dossiers: dict[str, int]  # role of the mix → dossiers waiting
    register_entries: int
    seconds: dict[str, float]


def prepare(
    url: str, upload_dir: Path, *, reviewers: dict[str, int], dossiers: int, register: int
) -> Prepared:
    """A fresh database at `url`; `reviewers`: how many of each role (SECRETARIAT, RAPPORTEUR)."""
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    engine = database.fresh_engine(url)
    clear_cache()  # definitions are cached per version id, which each database numbers from 1
    sessions = make_session_factory(engine)
    store = DocumentStore(upload_dir)
    emails = {role: reviewers_for(role, count) for role, count in reviewers.items() if count}
    with sessions() as session:
        demo.load(session, PROCESS_DIR.parent, store)
        for role, found in emails.items():
            for number, email in enumerate(found, 1):
                accounts.create_user(
                    session,
                    email=email,
                    name=f"{role.capitalize()} {number:02d}",
                    password=demo.PASSWORD,
                    roles=(REVIEWERS[role][0],),
                    enforce_policy=False,
                )
        session.commit()
        organisations = {
            key: _organisation_id(session, siret)
            for key, (_name, _kind, siret) in demo.ORGANISATIONS.items()
        }
    seconds["demo"] = time.perf_counter() - began
    env = Env(
        url=url,
        engine=engine,
        sessions=sessions,
        store=store,
        organisations=organisations,
        scenarios={item.name: item for item in scenario.load_scenarios(PROCESS_DIR)},
    )

    began = time.perf_counter()
    with sessions() as session:  # the demo's events chained: the copies' are inserted after
        link_pending(session)
        session.commit()
    total = sum(len(found) for found in emails.values())
    made: dict[str, int] = {}
    number = FIRST_NUMBER
    for role, found in emails.items():
        share = round(dossiers * len(found) / total)
        made[role] = copy_waiting_dossiers(env, role, found, share, number) if share else 0
        number += share
    database.analyze(engine)
    seconds["dossiers"] = time.perf_counter() - began

    began = time.perf_counter()
    entries = register_search.fill(engine, register) if register else 0
    seconds["register"] = time.perf_counter() - began
    return Prepared(url, engine, upload_dir, emails, made, entries, seconds)


def _organisation_id(session: Session, siret: str) -> int:
    found = session.scalar(select(Organisation.id).where(Organisation.siret == siret))
    assert found is not None, siret
    return found


def _templates(env: Env, role: str, reviewers: tuple[str, ...]) -> list[clones.Template]:
    """One dossier per reviewer and organisation, brought by the engine to the role's task
    and held by that reviewer (taken, or designated), read back then rolled back."""
    _account_role, task, steps_before = REVIEWERS[role]
    steps = env.scenarios[FAVORABLE].steps[:steps_before]
    templates = []
    with env.sessions() as session:
        for email in reviewers:
            if role == RAPPORTEUR:  # the secretariat designates this rapporteur
                designation = steps[-1]
                assert designation.task == "designer_rapporteur", designation
                played = [*steps[:-1], Step(designation.task, {"rapporteur_id": email})]
            else:
                played = steps
            for key in ORGANISATIONS:
                instance = play(env, session, key, played)
                item = session.scalars(
                    select(WorkItem).where(
                        WorkItem.instance_id == instance.id,
                        WorkItem.status == WorkItemStatus.OPEN,
                        WorkItem.task_spec == task,
                    )
                ).one()
                if item.claimed_by_id is None:
                    claims.claim(session, _actor(session, email), item.id)
                templates.append(clones.read_template(session, instance.id))
        session.rollback()  # the templates themselves are not kept (their files are)
    return templates


def copy_waiting_dossiers(
    env: Env, role: str, reviewers: tuple[str, ...], count: int, first_number: int
) -> int:
    """`count` dossiers waiting for `role`'s reviewers, shared out in turn, their references
    numbered from `first_number`."""
    templates = _templates(env, role, reviewers)

    def copies(ids: clones.Ids) -> Iterator[dict[str, list[dict[str, Any]]]]:
        now = utcnow()
        for index in range(count):
            template = templates[index % len(templates)]
            # Filed over the last days, oldest first (the Bannette's default order).
            filed = now - timedelta(minutes=count - index)
            prefix = str(template.instance["reference"]).rsplit("-", 1)[0]

            def adjust(table: str, row: dict[str, Any], filed: Any = filed) -> None:
                if table == "instance":
                    row.update(date_depot=filed, updated_at=filed)
                elif table == "work_item" and row["status"] == WorkItemStatus.OPEN:
                    row.update(created_at=filed, claimed_at=filed)

            copy = clones.Copy(f"{prefix}-{first_number + index:05d}", adjust)
            yield clones.copy_rows(template, copy, ids, env.store)

    with env.engine.begin() as connection:
        return clones.insert_copies(connection, copies(clones.Ids.after(connection)))


def _actor(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return Actor.from_user(user)
