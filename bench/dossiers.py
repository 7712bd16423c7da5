"""Engine-level work: a set-up database, dossiers brought to a step, walks timed, state sizes.

Everything goes through the engine's own functions (engine.studio.demo,
engine.definitions.definition, engine.studio.scenario, engine.workflow.actions), as the scenarios
runner does.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.db import make_session_factory
from engine.core.models import Instance, Organisation, User, WorkItem, WorkItemStatus
from engine.definitions.definition import clear_cache
from engine.definitions.deployment import deploy
from engine.definitions.folders import read_folder
from engine.studio import scenario
from engine.studio.demo import create_accounts
from engine.studio.scenario import Scenario, Step
from engine.workflow import documents
from engine.workflow.actions import claims

PROCESS_DIR = Path(__file__).resolve().parent.parent / "processes" / "recensement"
FAVORABLE = "favorable"
TWO_ROUNDS = "complements_recevabilite_puis_instruction"
REVIEW_TASK = "examiner_recevabilite"
REVIEWER = "recevabilite@example.org"


@dataclass
class Env:
    """One bench database, set up like tests/conftest.py: accounts, one deployed version."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    store: documents.DocumentStore
    organisations: dict[str, int]  # kind → id
    scenarios: dict[str, Scenario]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def organisation(self, session: Session, key: str) -> Organisation:
        organisation = session.get(Organisation, self.organisations[key])
        assert organisation is not None
        return organisation

    def user_id(self, session: Session, email: str) -> int:
        user_id = session.scalar(select(User.id).where(User.email == email))
        assert user_id is not None, email
        return user_id

    def actor(self, session: Session, email: str) -> Actor:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None, email
        return Actor.from_user(user)

    def count_instances(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count(Instance.id))) or 0


def set_up(engine: Engine, url: str, upload_dir: Path) -> Env:
    clear_cache()  # definitions are cached per version id, which each database numbers from 1
    sessions = make_session_factory(engine)
    with sessions() as session:
        organisations = create_accounts(session)
        deploy(session, read_folder(PROCESS_DIR))
        session.commit()
        kinds = {key: organisation.id for key, organisation in organisations.items()}
    return Env(
        url=url,
        engine=engine,
        sessions=sessions,
        store=documents.DocumentStore(upload_dir),
        organisations=kinds,
        scenarios={item.name: item for item in scenario.load_scenarios(PROCESS_DIR)},
    )


# --- dossiers brought to a step ---------------------------------------------------------------


def play(
    env: Env,
    session: Session,
    organisation_key: str,
    steps: list[Step],
    after_step: Callable[[Step, Instance], None] | None = None,
) -> Instance:
    """Start a dossier and play `steps` as the users of each lane (scenario.play_step)."""
    organisation = env.organisation(session, organisation_key)
    pick = scenario.actor_picker(session, organisation)
    instance = scenario.start(session, organisation)
    for step in steps:
        scenario.play_step(session, env.store, instance, step, pick)
        if after_step is not None:
            after_step(step, instance)
    return instance


def dossiers_at_review(env: Env, count: int, batch: int = 50) -> list[int]:
    """`count` dossiers déposés whose `examiner_recevabilite` is claimed by recevabilite@;
    returns the ids of those open work items."""
    favorable = env.scenarios[FAVORABLE]
    depot = favorable.steps[:1]
    ids: list[int] = []
    while len(ids) < count:
        with env.sessions() as session:
            reviewer = env.actor(session, REVIEWER)
            for _ in range(min(batch, count - len(ids))):
                instance = play(env, session, favorable.organisation, depot)
                item_id = session.scalar(
                    select(WorkItem.id).where(
                        WorkItem.instance_id == instance.id,
                        WorkItem.status == WorkItemStatus.OPEN,
                        WorkItem.task_spec == REVIEW_TASK,
                    )
                )
                assert item_id is not None
                claims.claim(session, reviewer, item_id)
                ids.append(item_id)
            session.commit()
    return ids


def completed_count(env: Env, item_ids: list[int]) -> int:
    with env.sessions() as session:
        return (
            session.scalar(
                select(func.count(WorkItem.id)).where(
                    WorkItem.id.in_(item_ids), WorkItem.status == WorkItemStatus.COMPLETED
                )
            )
            or 0
        )


# --- (b) the favourable path with two rounds of complements, engine level --------------------


def walk_engine(env: Env, name: str = TWO_ROUNDS) -> tuple[float, int]:
    """(seconds, instance id): start and every step in one transaction, commit included.

    The expectations of the scenario are checked afterwards, outside the timing."""
    played = env.scenarios[name]
    with env.sessions() as session:
        started = time.perf_counter()
        instance = play(env, session, played.organisation, played.steps)
        session.commit()
        elapsed = time.perf_counter() - started
        problems = scenario.check_expectations(session, instance, played.expect)
        if problems:
            raise RuntimeError(f"scenario {name} did not end as expected: {problems}")
        return elapsed, instance.id


# --- (c) state size after n rounds of complements ---------------------------------------------


def _step(played: Scenario, task: str, **wanted: str) -> Step:
    for step in played.steps:
        if step.task == task and all(step.data.get(k) == v for k, v in wanted.items()):
            return step
    raise LookupError(f"{played.name}: no step {task} {wanted}")


def steps_with_rounds(env: Env, rounds: int) -> list[Step]:
    """The favourable path with `rounds` rounds of complements: half asked at the recevabilité
    (the first one, and every other), half by the rapporteur; 2 rounds = the scenario
    complements_recevabilite_puis_instruction."""
    favorable = env.scenarios[FAVORABLE]
    two = env.scenarios[TWO_ROUNDS]
    completer = [step for step in two.steps if step.task == "completer_demande"]
    at_recevabilite = math.ceil(rounds / 2)
    at_instruction = rounds // 2
    steps = [favorable.steps[0]]
    steps += [_step(two, REVIEW_TASK, decision="complements"), completer[0]] * at_recevabilite
    steps += [
        _step(favorable, REVIEW_TASK, decision="recevable"),
        _step(favorable, "designer_rapporteur"),
    ]
    steps += [
        _step(two, "instruire_demande", avis_rapporteur="complements"),
        completer[1],
    ] * at_instruction
    steps += [_step(favorable, task) for task in ("instruire_demande", "inscrire_ordre_du_jour")]
    # The session date: time passes until the commission's task opens.
    steps += [step for step in favorable.steps if step.timer == "attendre_seance"]
    steps.append(_step(favorable, "deliberer"))
    steps.append(_step(favorable, "prononcer_decision"))
    return steps


@dataclass(frozen=True)
class StateSizes:
    rounds: int
    at_depot: int
    largest: int
    at_end: int
    at_end_json: int | None  # the JSON behind it, when the engine stores it otherwise
    at_end_zlib: int | None  # what zlib would make of that JSON
    status_label: str
    tasks_in_tree: int | None


def state_sizes(env: Env, rounds: int) -> StateSizes:
    """Bytes of Instance.state (UTF-8) at dépôt, at its largest, and once the dossier is
    recensed; plus what zlib would make of the final state."""
    sizes: dict[str, int] = {}

    def record(step: Step, instance: Instance) -> None:
        size = len(instance.state.encode("utf-8"))
        sizes.setdefault("depot", size)
        sizes["largest"] = max(sizes.get("largest", 0), size)

    with env.sessions() as session:
        organisation = env.scenarios[FAVORABLE].organisation
        instance = play(env, session, organisation, steps_with_rounds(env, rounds), record)
        session.commit()
        stored = instance.state.encode("utf-8")
        text = _state_json(instance.state)
        return StateSizes(
            rounds=rounds,
            at_depot=sizes["depot"],
            largest=sizes["largest"],
            at_end=len(stored),
            at_end_json=len(text.encode("utf-8")) if text is not None else None,
            at_end_zlib=len(zlib.compress(text.encode("utf-8"), 6)) if text is not None else None,
            status_label=instance.status_label,
            tasks_in_tree=len(json.loads(text)["tasks"]) if text is not None else None,
        )


def _state_json(stored: str) -> str | None:
    """The state's JSON: the stored text itself, or what the engine decodes it to when it
    stores it otherwise (a compressed format, say); None when it cannot be read here."""
    if stored.lstrip().startswith("{"):
        return stored
    decode = getattr(spiff, "state_json", None)
    return decode(stored) if callable(decode) else None
