"""`python -m bench.load`: the load test, many users at once against a real server.

A fresh database (bench/load_data.py: the demo, one agent per reviewer, `--dossiers` filed
dossiers waiting for them, a register to search) is served by `inventaire serve --workers 2`
with one `inventaire worker` on PostgreSQL, and by `inventaire run` (one process, its worker
thread) on SQLite. `--users` virtual users (bench/load_users.py: reviewers, submitters, the
public; a thread and a keep-alive connection each, loopback only) sign in, then work without
pause for `--duration` seconds. Printed: requests per second, p50/p95/p99 latency and errors by
kind, task completions per second, the CPU each part used, the load average at start and end.
Afterwards the jobs due are left to run, then tests/load_checks.py's checks: every dossier the
mix changed consistent (`--check-all`: every dossier), the audit trail verified, no job left
undone, as many emails as email jobs; and what the users were told was done is in the database
once.

Targets (issue 14; printed, never asserted: a missed one is printed MISSED): on PostgreSQL with
2 processes and 16 users, ≥ 150 task completions per second, p95 ≤ 100 ms; everywhere 0 errors
and 0 inconsistencies.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench import database, load_data, load_servers
from bench.load_client import Record
from bench.load_users import COMPLETED_TASKS, Shared, VirtualUser, mix, reviewers_in, run_user
from bench.report import Report, percentile, progress
from engine.core.audit_chain import link_pending
from engine.core.clock import utcnow
from engine.core.db import make_session_factory
from engine.core.models import AuditEvent, Job, JobStatus, Submission
from tests import load_checks

COMPLETIONS_TARGET = 150.0  # per second, PostgreSQL, 2 processes, 16 users
P95_TARGET_MS = 100.0
COMPLETIONS_PER_SECOND_PREPARED = 200  # dossiers made per second of the run, by default
SIGN_IN = ("sign-in page", "sign-in")
DRAIN_TIMEOUT = 600.0


@dataclass(frozen=True)
class Options:
    duration: float = 60.0
    warmup: float = 5.0
    users: int = 16
    dossiers: int | None = None  # None: COMPLETIONS_PER_SECOND_PREPARED per second of the run
    register: int = 5_000
    processes: int = 2
    check_all: bool = False
    sqlite: bool = True
    postgresql: bool = True

    @property
    def prepared_dossiers(self) -> int:
        if self.dossiers is not None:
            return self.dossiers
        return math.ceil((self.warmup + self.duration) * COMPLETIONS_PER_SECOND_PREPARED)


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of load before the figures (5)"
    )
    parser.add_argument("--users", type=int, default=16, help="virtual users (16)")
    parser.add_argument(
        "--dossiers",
        type=int,
        default=None,
        help=f"dossiers waiting for the reviewers ({COMPLETIONS_PER_SECOND_PREPARED} a second)",
    )
    parser.add_argument("--register", type=int, default=5_000, help="register entries (5000)")
    parser.add_argument(
        "--processes", type=int, default=2, help="`inventaire serve` processes on PostgreSQL (2)"
    )
    parser.add_argument("--check-all", action="store_true", help="check every dossier after")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true")
    only.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args(argv)
    if args.users < 3 or args.duration <= 0:
        parser.error("--users 3 at least (a reviewer, a submitter, a visitor), --duration > 0")
    return Options(
        duration=args.duration,
        warmup=args.warmup,
        users=args.users,
        dossiers=args.dossiers,
        register=args.register,
        processes=args.processes,
        check_all=args.check_all,
        sqlite=not args.postgres_only,
        postgresql=not args.sqlite_only,
    )


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Mix:
    """What the virtual users saw, merged."""

    users: list[VirtualUser]
    began: datetime  # UTC, when the users started (after every sign-in)
    seconds: float  # the window (after the warm-up): answers outside are not in the figures
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    conflicts: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)  # all the users were told was done
    in_window: Counter[str] = field(default_factory=Counter)  # … and told within the window
    late: int = 0  # answers after the window (requests under way at its end)
    sign_ins: list[float] = field(default_factory=list)
    load_at_start: str = ""
    load_at_end: str = ""

    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


def run_mix(
    port: int,
    users: list[VirtualUser],
    duration: float,
    warmup: float,
    clock: load_servers.CpuClock,
) -> Mix:
    """The virtual users' threads: all signed in, then they all start; the figures are those of
    the `duration` seconds after the first `warmup` ones (each process's caches filled)."""
    shared = Shared(until=math.inf)
    moments: dict[str, Any] = {}

    def start_users() -> None:
        moments["began"] = utcnow()
        moments["start"] = time.perf_counter()
        shared.until = moments["start"] + warmup + duration

    ready = threading.Barrier(len(users) + 1, action=start_users)
    records = [Record() for _ in users]
    threads = [
        threading.Thread(
            target=run_user,
            args=(user, load_servers.HOST, port, shared, ready, record),
            name=f"load-{user.role}-{index}",
            daemon=True,
        )
        for index, (user, record) in enumerate(zip(users, records, strict=True))
    ]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=300)
    except threading.BrokenBarrierError as error:
        raise RuntimeError("the virtual users did not all sign in within 300 s") from error
    window = (moments["start"] + warmup, shared.until)
    time.sleep(max(0.0, window[0] - time.perf_counter()))
    clock.start()
    time.sleep(max(0.0, window[1] - time.perf_counter()))
    clock.stop()
    deadline = time.monotonic() + 300
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    merged = Mix(users, moments["began"], duration)
    merged.load_at_start, merged.load_at_end = clock.load_at_start, clock.load_at_end
    for thread in threads:
        if thread.is_alive():
            merged.errors["client"] += 1
            merged.first_errors.append(f"client: {thread.name} still waiting at the deadline")
    start, until = window
    for record in records:
        for kind, values in record.latencies.items():
            if kind in SIGN_IN:
                merged.sign_ins.extend(seconds for _ended, seconds in values)
                continue
            merged.latencies[kind].extend(
                seconds for ended, seconds in values if start <= ended <= until
            )
            merged.late += sum(1 for ended, _seconds in values if ended > until)
        merged.errors.update(record.errors)
        merged.first_errors.extend(record.first_errors)
        merged.conflicts.update(record.conflicts)
        merged.not_modified.update(record.not_modified)
        for ended, what in record.done:
            merged.done[what] += 1
            if start <= ended <= until:
                merged.in_window[what] += 1
    return merged


def drain_jobs(engine: Engine, timeout: float = DRAIN_TIMEOUT) -> tuple[int, float]:
    """Wait for the worker to run the jobs due; (how many there were, seconds waited)."""
    sessions = make_session_factory(engine)
    began = time.perf_counter()
    first: int | None = None
    while True:
        with sessions() as session:
            due = load_checks.count(
                session,
                Job,
                Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)),
                Job.run_at <= utcnow(),
            )
        first = due if first is None else first
        if due == 0 or time.perf_counter() - began > timeout:
            return first, time.perf_counter() - began
        time.sleep(0.5)


@dataclass(frozen=True)
class Checked:
    problems: list[str]  # load_checks.after_load's, and told ≠ stored
    dossiers: int  # dossiers checked for consistency
    present: int  # dossiers in the database
    queued: dict[str, int]  # jobs queued since the mix began, by kind


def check(engine: Engine, mix_run: Mix, check_all: bool) -> Checked:
    sessions = make_session_factory(engine)
    with sessions() as session:
        link_pending(session)  # the copies' and the mix's events, chained as the audit job does
        session.commit()
    with sessions() as session:
        touched = None if check_all else load_checks.touched_since(session, mix_run.began)
        problems = load_checks.after_load(session, "bench", touched)
        problems += told_against_stored(session, mix_run)
        present = load_checks.count(session, load_checks.Instance)
        checked = present if touched is None else len(touched)
        queued: dict[str, int] = {
            kind: number
            for kind, number in session.execute(
                select(Job.kind, func.count())
                .where(Job.created_at >= mix_run.began)
                .group_by(Job.kind)
            )
        }
    return Checked(problems, checked, present, queued)


def told_against_stored(session: Session, mix_run: Mix) -> list[str]:
    """What the users were told was done is in the database, once."""
    since = mix_run.began
    stored = {
        "completions": load_checks.count(
            session,
            Submission,
            Submission.task_spec.in_(COMPLETED_TASKS),
            Submission.submitted_at >= since,
        ),
        "complements answered": load_checks.count(
            session,
            Submission,
            Submission.task_spec == "completer_demande",
            Submission.submitted_at >= since,
        ),
        "filed": load_checks.count(
            session, AuditEvent, AuditEvent.kind == "depot", AuditEvent.at >= since
        ),
    }
    return [
        f"{what}: the users were told {mix_run.done[what]}, the database holds {count}"
        for what, count in stored.items()
        if count != mix_run.done[what]
    ]


# --- the report ---------------------------------------------------------------------------------


def _ms(values: list[float], fraction: float) -> float:
    return percentile(values, fraction) * 1000


def _spread(values: list[float]) -> str:
    return (
        f"p50 {_ms(values, 0.50):.1f} ms, p95 {_ms(values, 0.95):.1f} ms, "
        f"p99 {_ms(values, 0.99):.1f} ms"
    )


def _server_label(processes: int | None) -> str:
    if processes is None:
        return "`inventaire run` (1 process, worker thread inside)"
    return f"`inventaire serve --workers {processes}` + 1 `inventaire worker`"


def serve_available() -> bool:
    """Whether this tree's command line has `inventaire serve` (issue 14, being built)."""
    try:
        done = subprocess.run(
            [load_servers.COMMAND, "serve", "--help"],
            capture_output=True,
            timeout=60,
            env=os.environ | {"PYTHONPATH": str(load_servers.ROOT)},
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@dataclass
class Outcome:
    """One configuration measured: what was prepared, what the users saw, what was found."""

    kind: str
    url: str
    processes: int | None  # `inventaire serve --workers`; None: `inventaire run`
    fallback: str
    options: Options
    prepared: load_data.Prepared
    mix: Mix
    clock: load_servers.CpuClock
    drained: int
    drain_seconds: float
    checked: Checked
    check_seconds: float

    @property
    def label(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    @property
    def errors(self) -> int:
        return sum(self.mix.errors.values())


def measure(kind: str, url: str, options: Options, workdir: Path) -> Outcome:
    """Prepare the database, start the servers, run the mix, let the jobs run, check."""
    label = "SQLite" if kind == "sqlite" else "PostgreSQL"
    processes: int | None = None
    fallback = ""
    if kind == "postgresql":
        if serve_available():
            processes = options.processes
        else:
            fallback = "`inventaire serve` is not in this tree: `inventaire run` measured instead"
            progress(f"{label}: {fallback}")
    reviewers = reviewers_in(options.users)
    progress(
        f"{label}: load test database: demo, {options.prepared_dossiers:,} dossiers for "
        f"{sum(reviewers.values())} reviewers, {options.register:,} register entries"
    )
    prepared = load_data.prepare(
        url,
        workdir / "pieces",
        reviewers=reviewers,
        dossiers=options.prepared_dossiers,
        register=options.register,
    )
    users = mix(options.users, prepared.reviewers, load_data.SUBMITTERS)
    engine = prepared.engine
    try:
        progress(f"{label}: starting {_server_label(processes)}")
        servers = load_servers.start(url, workdir, processes=processes)
        clock = load_servers.CpuClock(servers, engine)
        try:
            progress(
                f"{label}: {options.users} users for {options.warmup + options.duration:.0f} s "
                f"on {servers.describe()}"
            )
            mix_run = run_mix(servers.port, users, options.duration, options.warmup, clock)
            progress(f"{label}: the jobs due left to the worker")
            drained, drain_seconds = drain_jobs(engine)
        finally:
            load_servers.stop(servers)
        progress(f"{label}: checking the database")
        began = time.perf_counter()
        checked = check(engine, mix_run, options.check_all)
        check_seconds = time.perf_counter() - began
    finally:
        engine.dispose()
    return Outcome(
        kind,
        url,
        processes,
        fallback,
        options,
        prepared,
        mix_run,
        clock,
        drained,
        drain_seconds,
        checked,
        check_seconds,
    )


def report_of(outcome: Outcome) -> Report:
    kind, options, prepared, mix_run = (
        outcome.kind,
        outcome.options,
        outcome.prepared,
        outcome.mix,
    )
    processes, checked = outcome.processes, outcome.checked
    users = mix_run.users
    report = Report(
        f"Load test, {outcome.label}: {database.describe(outcome.url)}, "
        f"{_server_label(processes)}, {options.users} users, {options.duration:.0f} s "
        f"(after {options.warmup:.0f} s of warm-up)"
    )
    on_target = kind == "postgresql" and processes == 2 and options.users == 16
    seconds = mix_run.seconds
    everything = mix_run.all_latencies()
    completions = mix_run.in_window["completions"]
    rate = completions / seconds
    errors = outcome.errors
    report.add(
        "load: database prepared",
        f"{sum(prepared.seconds.values()):.0f} s",
        "",
        None,
        f"demo {prepared.seconds['demo']:.1f} s; dossiers waiting (copies of engine-made ones) "
        + ", ".join(
            f"{prepared.dossiers[role]:,} for {len(emails)} {role}s"
            for role, emails in prepared.reviewers.items()
        )
        + f" {prepared.seconds['dossiers']:.1f} s; "
        f"{prepared.register_entries:,} register entries {prepared.seconds['register']:.1f} s",
        *([outcome.fallback] if outcome.fallback else []),
    )
    report.add(
        "load: task completions per second",
        f"{rate:.1f}/s ({completions:,} in {seconds:.1f} s)",
        f"≥ {COMPLETIONS_TARGET:.0f}/s" if on_target else "",
        rate >= COMPLETIONS_TARGET if on_target else None,
        "each a real engine step (GET of the task page, then POST of the decision); "
        + ", ".join(f"{what} {count:,}" for what, count in sorted(mix_run.in_window.items()))
        + f"; {mix_run.late} answers came after the {seconds:.0f} s (not counted)",
    )
    report.add(
        "load: all requests",
        f"{len(everything):,} ({len(everything) / seconds:.0f}/s), {_spread(everything)}",
        f"p95 ≤ {P95_TARGET_MS:.0f} ms" if on_target else "",
        _ms(everything, 0.95) <= P95_TARGET_MS if on_target else None,
        *[
            f"{kind}: {len(values):,} ({len(values) / seconds:.1f}/s), {_spread(values)}"
            + (f", {mix_run.errors[kind]} errors" if mix_run.errors[kind] else "")
            + (f", {mix_run.conflicts[kind]} conflicts" if mix_run.conflicts[kind] else "")
            + (f", {mix_run.not_modified[kind]} × 304" if mix_run.not_modified[kind] else "")
            for kind, values in sorted(mix_run.latencies.items(), key=lambda item: -len(item[1]))
        ],
        f"users: {', '.join(f'{n} {role}s' for role, n in Counter(u.role for u in users).items())};"
        f" sign-ins before the clock started: {len(mix_run.sign_ins)}"
        + (f", {_spread(mix_run.sign_ins)}" if mix_run.sign_ins else ""),
    )
    report.add(
        "load: errors (5xx, unexpected status, no answer)",
        f"{errors}",
        "0",
        errors == 0,
        *mix_run.first_errors[:8],
        *([f"conflicts (409, not errors): {dict(mix_run.conflicts)}"] if mix_run.conflicts else []),
    )
    report.add(
        "load: after the run, problems found",
        f"{len(checked.problems)}",
        "0",
        not checked.problems,
        f"{checked.dossiers:,} dossiers checked for consistency"
        + (
            " (all)"
            if options.check_all
            else f" (those the mix changed; {checked.present:,} in all)"
        )
        + f", audit trail verified, jobs and emails counted, in {outcome.check_seconds:.1f} s; "
        f"{outcome.drained:,} jobs were due at the end of the mix, run in "
        f"{outcome.drain_seconds:.1f} s; "
        "jobs queued since the mix began: "
        + (", ".join(f"{kind} {n:,}" for kind, n in sorted(checked.queued.items())) or "none"),
        *checked.problems[:8],
    )
    used = outcome.clock.used
    per_request = ", ".join(
        f"{name} {used[name] / len(everything) * 1000:.1f} ms"
        for name in ("server", "postgresql")
        if name in used and everything
    )
    report.add(
        "load: CPU used during the mix",
        _cpu_summary(used, seconds),
        "",
        None,
        f"CPU per request (all kinds): {per_request}",
        f"load average (1/5/15 min) {mix_run.load_at_start} at start, "
        f"{mix_run.load_at_end} at end; "
        f"{os.cpu_count()} cores",
    )
    return report


def _cpu_summary(used: dict[str, float], seconds: float) -> str:
    parts = [
        (name, used[name]) for name in ("server", "worker", "postgresql", "client") if name in used
    ]
    text = ", ".join(f"{name} {value:.1f} s ({value / seconds:.2f} cores)" for name, value in parts)
    ours = sum(value for _, value in parts)
    other = used.get("machine", 0.0) - ours
    other = max(other, 0.0)
    return f"{text}; rest of the machine {other:.1f} s ({other / seconds:.2f} cores)"


def run_all(options: Options) -> tuple[list[Report], list[str]]:
    """Each configuration measured and its report printed; (reports, what was not measured)."""
    targets: list[tuple[str, str]] = []
    failures: list[str] = []
    reports: list[Report] = []
    with tempfile.TemporaryDirectory(prefix="inventaire-load-") as tmp:
        if options.sqlite:
            folder = Path(tmp) / "sqlite"
            folder.mkdir()
            targets.append(("sqlite", database.fresh_sqlite(folder)))
        if options.postgresql:
            pg_url, why = database.postgres_url()
            if pg_url is None:
                progress(f"load test: PostgreSQL skipped ({why}; e.g. BENCH_DATABASE_URL=auto)")
            elif (unreachable := database.postgres_unreachable(pg_url)) is not None:
                failures.append(
                    f"load test: PostgreSQL {database.describe(pg_url)} unreachable: {unreachable}"
                )
            else:
                targets.append(("postgresql", pg_url))
        for kind, url in targets:
            folder = Path(tmp) / kind
            folder.mkdir(exist_ok=True)
            try:
                report = report_of(measure(kind, url, options, folder))
            except Exception as error:  # a load test that cannot measure says so, then goes on
                failures.append(f"load test, {kind}: {type(error).__name__}: {error}")
                progress(failures[-1])
                continue
            reports.append(report)
            print(report.render(), flush=True)
            print(flush=True)
    return reports, failures


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    reports, failures = run_all(options)
    for failure in failures:
        print(f"NOT MEASURED: {failure}")
    missed = [line.label for report in reports for line in report.missed()]
    if missed:
        print(f"{len(missed)} target(s) MISSED: {'; '.join(missed)}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
