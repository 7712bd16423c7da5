"""The load test's database: the demo, reviewers with work waiting, a register to search.

- the demo (engine/studio/demo.py: accounts, organisations, a dozen dossiers, real fiches), as
  `inventaire demo` makes it;
- one secretariat agent per reviewing virtual user (role `recevabilite`: agent01@…), each
  signed in as their own person, so reviewers never race for the same task;
- `dossiers` filed dossiers waiting at *Examiner la recevabilité*, each already taken by one
  of the agents (round robin): copies (bench/clones.py) of one dossier per submitting
  organisation made by the engine;
- `register` made-up fiches in the public register (bench/register_search.py's vocabulary).
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
from bench.dossiers import FAVORABLE, PROCESS_DIR, REVIEW_TASK, Env, play
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.db import make_session_factory
from engine.core.models import Organisation, User, WorkItem, WorkItemStatus
from engine.core.pieces import DocumentStore
from engine.definitions.definition import clear_cache
from engine.people import accounts
from engine.studio import demo, scenario
from engine.workflow.actions import claims

# The organisations whose dossiers wait (the mandataire's files for the CPNE: left out).
ORGANISATIONS = ("ministere", "cpne", "organisation_cncp")
SUBMITTERS = (
    "demandeur@example.org",
    "demandeur2@example.org",
    "demandeur3@example.org",
    "mandataire@example.org",
)
FIRST_NUMBER = 20_001  # references INV-<year>-20001…: never those the engine's counter gives


def agent_email(number: int) -> str:
    return f"agent{number:02d}@example.org"


def agents_for(count: int) -> tuple[str, ...]:
    """The agents' emails, one per reviewing virtual user."""
    return tuple(agent_email(n) for n in range(1, count + 1))


@dataclass(frozen=True)
class Prepared:
    url: str
    engine: Engine
    upload_dir: Path
    agents: tuple[str, ...]
    dossiers: int
    register_entries: int
    seconds: dict[str, float]


def prepare(url: str, upload_dir: Path, *, agents: int, dossiers: int, register: int) -> Prepared:
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    engine = database.fresh_engine(url)
    clear_cache()  # definitions are cached per version id, which each database numbers from 1
    sessions = make_session_factory(engine)
    store = DocumentStore(upload_dir)
    with sessions() as session:
        demo.load(session, PROCESS_DIR.parent, store)
        emails = agents_for(agents)
        for number, email in enumerate(emails, 1):
            accounts.create_user(
                session,
                email=email,
                name=f"Agent {number:02d} Secrétariat",
                password=demo.PASSWORD,
                roles=("recevabilite",),
                enforce_policy=False,
            )
        session.commit()
        organisations = {
            key: _organisation_id(session, siret)
            for key, (_n, _k, siret) in demo.ORGANISATIONS.items()
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
    made = copy_waiting_dossiers(env, emails, dossiers) if dossiers and emails else 0
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


def copy_waiting_dossiers(env: Env, agents: tuple[str, ...], count: int) -> int:
    """`count` dossiers at the recevabilité, each taken by one of `agents` in turn."""
    with env.sessions() as session:
        agent_ids = [env.user_id(session, email) for email in agents]
        first_agent = _actor(session, agents[0])
        templates = []
        for key in ORGANISATIONS:
            played = env.scenarios[FAVORABLE]
            instance = play(env, session, key, played.steps[:1])
            item = session.scalars(
                select(WorkItem).where(
                    WorkItem.instance_id == instance.id,
                    WorkItem.status == WorkItemStatus.OPEN,
                    WorkItem.task_spec == REVIEW_TASK,
                )
            ).one()
            claims.claim(session, first_agent, item.id)
            templates.append(clones.read_template(session, instance.id))
        session.rollback()  # the templates themselves are not kept (their files are)

    def copies(ids: clones.Ids) -> Iterator[dict[str, list[dict[str, Any]]]]:
        now = utcnow()
        for index in range(count):
            template = templates[index % len(templates)]
            agent = agent_ids[index % len(agent_ids)]
            # Filed over the last weeks, oldest first (the Bannette's default order).
            filed = now - timedelta(minutes=count - index)
            prefix = str(template.instance["reference"]).rsplit("-", 1)[0]

            def adjust(
                table: str, row: dict[str, Any], agent: int = agent, filed: Any = filed
            ) -> None:
                if table == "work_item" and row["status"] == WorkItemStatus.OPEN:
                    row.update(claimed_by_id=agent, claimed_at=filed, created_at=filed)
                elif table == "audit_event" and row["kind"] == "prise_en_charge":
                    row["actor_id"] = agent
                elif table == "instance":
                    row.update(date_depot=filed, updated_at=filed)

            copy = clones.Copy(f"{prefix}-{FIRST_NUMBER + index:05d}", adjust)
            yield clones.copy_rows(template, copy, ids, env.store)

    with env.engine.begin() as connection:
        return clones.insert_copies(connection, copies(clones.Ids.after(connection)))


def _actor(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return Actor.from_user(user)
