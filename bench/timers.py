"""(e) Timers: how many due timers worker processes fire per second, and how late.

A real dossier is brought by the engine to the wait before the commission's session (the
`attendre_seance` timer), then copied N times with fresh task ids (the state's UUIDs rewritten)
and a pending timer job each. `inventaire worker` processes, started as in production and
polling with the default interval, are then given the due jobs:

- rate: all N made due at once, once the workers have run the jobs already due (else the rate
  would be that of the earlier measures' backlog of emails); timers fired per second until the
  last one is done, each copy's *Délibérer* then checked open (a copy whose timer had already
  run would make every firing a no-op: until 5 December 2026 the bench could pick the
  instruction's cancelled reminder, and on a fresh database its "rate" was of no-ops);
- delay: timers falling due one after another over a few seconds; due time → firing committed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

from bench.dossiers import FAVORABLE, Env, play
from bench.report import Timings
from engine.bpmn import spiff
from engine.core.clock import utcnow
from engine.core.models import Instance, Job, JobStatus, WorkItem, WorkItemStatus
from engine.jobs import JobKind
from engine.workflow.worklists import index as worklists_index

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FAR = datetime(2099, 1, 1, tzinfo=UTC)
BATCH = 500


@dataclass(frozen=True)
class Waiting:
    instance: dict[str, Any]
    state_json: str
    timer_task_id: str


def waiting_dossier(env: Env) -> Waiting:
    """A dossier waiting for its session date, made by the engine (then rolled back)."""
    played = env.scenarios[FAVORABLE]
    steps = [step for step in played.steps[:5]]
    assert steps[-1].task == "inscrire_ordre_du_jour"
    with env.sessions() as session:
        instance = play(env, session, played.organisation, steps)
        session.flush()
        table = Instance.__table__
        row = dict(session.execute(select(table).where(table.c.id == instance.id)).mappings().one())
        # The dossier's pending timer: earlier ones (the instruction's reminder, cancelled when
        # the instruction was done) would give a task that no longer waits, and every copy's
        # "firing" would be a no-op.
        timer = session.scalar(
            select(Job).where(
                Job.instance_id == instance.id,
                Job.kind == str(JobKind.TIMER),
                Job.status == JobStatus.PENDING,
            )
        )
        assert timer is not None and timer.payload is not None
        assert timer.payload.get("element") == "attendre_seance", timer.payload
        task_id = str(timer.payload["task_id"])
        session.rollback()
    return Waiting(row, spiff.state_json(row["state"]), task_id)


def clone(env: Env, waiting: Waiting, count: int, due: datetime, tag: str) -> list[int]:
    """`count` copies of the waiting dossier, each with its own task ids and its timer job."""
    ids_in_state = set(UUID.findall(waiting.state_json))
    with env.sessions() as session:
        first = (session.scalar(select(func.max(Instance.id))) or 0) + 1
    instances, jobs = [], []
    now = utcnow()
    for index in range(count):
        mapping = {old: str(uuid.uuid4()) for old in ids_in_state}
        text = _renumbered(waiting.state_json, mapping)
        state = spiff.COMPRESSED_PREFIX + base64.b64encode(
            zlib.compress(text.encode("utf-8"), 1)
        ).decode("ascii")
        instance_id = first + index
        row = dict(waiting.instance)
        row.update(id=instance_id, reference=f"B{tag}-{index:06d}", state=state, updated_at=now)
        instances.append(row)
        task_id = mapping[waiting.timer_task_id]
        jobs.append(
            {
                "kind": str(JobKind.TIMER),
                "instance_id": instance_id,
                "payload": {"task_id": task_id, "element": "attendre_seance"},
                "label": f"Échéance « Attendre la séance » (B{tag}-{index:06d})",
                "idempotency_key": f"minuterie:{task_id}",
                "run_at": due,
                "attempts": 0,
                "status": JobStatus.PENDING,
                "created_at": now,
            }
        )
    with env.engine.begin() as connection:
        for start in range(0, count, BATCH):
            connection.execute(insert(Instance), instances[start : start + BATCH])
            connection.execute(insert(Job), jobs[start : start + BATCH])
        # Each copy has its worklists row, as every dossier the engine makes.
        worklists_index.refresh(connection, [row["id"] for row in instances])
    return [row["id"] for row in instances]


def _renumbered(state_json: str, mapping: dict[str, str]) -> str:
    return UUID.sub(lambda match: mapping.get(match.group(0), match.group(0)), state_json)


def start_workers(env: Env, count: int) -> list[subprocess.Popen[bytes]]:
    """`inventaire worker` processes as production runs them (default polling: 1 s)."""
    command = str(Path(sys.executable).parent / "inventaire")
    environment = os.environ | {
        "INVENTAIRE_DATABASE_URL": env.url,
        "INVENTAIRE_SECRET_KEY": "bench",
    }
    return [
        subprocess.Popen(
            [command, "worker", "--name", f"bench-{number}"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for number in range(count)
    ]


def stop_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _pending_timers(env: Env, instance_ids: list[int]) -> int:
    with env.sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.kind == str(JobKind.TIMER),
                    Job.instance_id.in_(instance_ids),
                    Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]),
                )
            )
            or 0
        )


def _wait_until_fired(env: Env, instance_ids: list[int], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while _pending_timers(env, instance_ids) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pending_timers(env, instance_ids):
        raise RuntimeError("timers still pending after the bench's timeout")


def _drain(env: Env, timeout: float = 600) -> None:
    """Let the workers run the jobs already due (the earlier measures' emails, letters):
    the rate is the timers' own, not that of a backlog queued before."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with env.sessions() as session:
            due = session.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]),
                    Job.run_at <= utcnow(),
                )
            )
        if not due:
            return
        time.sleep(0.2)
    raise RuntimeError("the jobs already due were not run within the bench's timeout")


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fire_rate(env: Env, waiting: Waiting, workers: int, count: int, tag: str) -> float:
    """Timers fired per second by `workers` processes, all `count` timers due at once."""
    ids = clone(env, waiting, count, FAR, tag)
    processes = start_workers(env, workers)
    try:
        time.sleep(3)  # the processes are up and polling
        _drain(env)
        with env.engine.begin() as connection:
            began = utcnow()
            connection.execute(
                update(Job)
                .where(Job.instance_id.in_(ids), Job.kind == str(JobKind.TIMER))
                .values(run_at=began - timedelta(seconds=1))
            )
        _wait_until_fired(env, ids)
    finally:
        stop_workers(processes)
    with env.sessions() as session:
        last = session.scalar(
            select(func.max(Job.finished_at)).where(
                Job.instance_id.in_(ids), Job.kind == str(JobKind.TIMER)
            )
        )
        # Each firing really ran the process on: the commission's task is open.
        opened = session.scalar(
            select(func.count())
            .select_from(WorkItem)
            .where(
                WorkItem.instance_id.in_(ids),
                WorkItem.task_spec == "deliberer",
                WorkItem.status == WorkItemStatus.OPEN,
            )
        )
    if last is None or opened != count:
        raise RuntimeError(f"{opened} of {count} timers opened « Délibérer »")
    return count / (_as_utc(last) - began).total_seconds()


def due_to_fire_delays(env: Env, waiting: Waiting, count: int, spread: float) -> Timings:
    """One worker with the default polling; timers falling due one after another."""
    processes = start_workers(env, 1)
    try:
        time.sleep(3)
        start = utcnow() + timedelta(seconds=1)
        ids = clone(env, waiting, count, FAR, "d")
        step = spread / count
        with env.engine.begin() as connection:
            for index, instance_id in enumerate(ids):
                connection.execute(
                    update(Job)
                    .where(Job.instance_id == instance_id, Job.kind == str(JobKind.TIMER))
                    .values(run_at=start + timedelta(seconds=index * step))
                )
        _wait_until_fired(env, ids)
    finally:
        stop_workers(processes)
    with env.sessions() as session:
        rows = session.execute(
            select(Job.run_at, Job.finished_at).where(
                Job.instance_id.in_(ids), Job.kind == str(JobKind.TIMER)
            )
        ).all()
    return Timings(
        tuple(
            (_as_utc(finished) - _as_utc(due)).total_seconds()
            for due, finished in rows
            if finished is not None
        )
    )


def describe_waiting(waiting: Waiting) -> str:
    data = json.loads(waiting.state_json)
    return f"{len(waiting.state_json):,} B of state JSON, {len(data.get('tasks', {}))} tasks"
