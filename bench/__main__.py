"""`python -m bench` (`make bench`): the Inventaire's performance figures and their targets.

On a fresh SQLite database in a temporary folder, then on PostgreSQL when BENCH_DATABASE_URL
(or TEST_DATABASE_URL, whose server is used with a `bench` database) is set. Prints:

(a) the server time of a reviewer completing one task through HTTP, with 0 and 100,000
    instances in the database;
(b) the time to walk one dossier through the favourable path with two rounds of complements,
    through the engine and through HTTP;
(c) the size of the stored workflow state after 0, 1, 2 and 10 rounds of complements;
(d) the server time of the reviewer's inbox at 100,000 instances;
(g) the server time of a séance's page with 40 dossiers on its agenda, at 100,000 instances;
(e) the due timers fired per second by one and three `inventaire worker` processes, and the
    delay from due time to firing;
(s) the server time of the public register's search page at 50,000 entries;
(f) the time to export 50,000 register entries as open-data XML, and its memory;
(p) the time to make a decision letter as PDF;
(w) the worklists at 100,000 dossiers: the Bannette filtered and searched, a bulk action on 100
    dossiers, an XLSX export of 10,000 dossiers and its memory;
(l) last, the load test (bench/load.py): many users at once against a real server process.

Timings are never asserted: a missed target is printed "MISSED" and the exit code stays 0.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import (
    bulk,
    database,
    documents,
    dossiers,
    large,
    load,
    measures,
    opendata,
    register_search,
    seances,
    timers,
    worklists,
)
from bench.client import Site
from bench.report import Report, Timings, progress

TARGETS = {
    # dialect: (complete a task, median ms; inbox at 100,000, median ms)
    "sqlite": (3.0, 50.0),
    "postgresql": (5.0, 50.0),
}
STATEMENTS_TARGET = 4  # SQL statements of one completion
STATE_TARGET = 6 * 1024  # bytes after 10 rounds of complements
STATE_FLAT = 1.10  # flat in the rounds: 10 rounds within 10 % of 2 rounds
TIMERS_TARGET = 1000  # due timers fired per second, three workers, PostgreSQL
DELAY_TARGET = 2.0  # seconds from due time to firing, default polling
NO_SLOWER_RATIO = 1.20  # "no slower at 100,000 than at 0": within 20 % or 1 ms (noise)
NO_SLOWER_MS = 1.0
REVIEWERS = [
    "recevabilite@example.org",
    "rapporteur@example.org",
    "commission@example.org",
    "demandeur3@example.org",
]


@dataclass(frozen=True)
class Options:
    instances: int
    completions: int
    warmup: int
    walks: int
    inbox_requests: int
    profile: bool
    postgres_only: bool
    timers: int = 1000


def parse_args(argv: list[str], prog: str = "python -m bench") -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    parser.add_argument(
        "--instances", type=int, default=None, help="bulk size (100000; --large: 1000000)"
    )
    parser.add_argument("--completions", type=int, default=200, help="timed completions (200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed completions first (20)")
    parser.add_argument("--walks", type=int, default=3, help="timed walks of (b) (3)")
    parser.add_argument("--inbox-requests", type=int, default=30, help="timed inbox GETs (30)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print cProfile's view of the completions at full size and of the inbox",
    )
    parser.add_argument("--postgres-only", action="store_true", help="skip SQLite")
    parser.add_argument("--timers", type=int, default=1000, help="due timers fired (1000)")
    parser.add_argument(
        "--large",
        action="store_true",
        help="only (L): the pages at 10,000 then 1,000,000 dossiers (bench/large.py)",
    )
    large.add_arguments(parser)
    args = parser.parse_args(argv)
    args.instances_given = args.instances is not None
    return args


def parse(argv: list[str]) -> Options:
    args = parse_args(argv)
    return Options(
        args.instances if args.instances_given else 100_000,
        args.completions,
        args.warmup,
        args.walks,
        args.inbox_requests,
        args.profile,
        args.postgres_only,
        args.timers,
    )


def _load() -> str:
    """The 1-minute load average now: above 1 on this 2-core machine, something else runs."""
    return f"{os.getloadavg()[0]:.2f}"


def run_database(url: str, options: Options, workdir: Path) -> tuple[Report, list[str]]:
    began = time.perf_counter()
    label = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    report = Report(f"{label}: {database.describe(url)}")
    profiles: list[str] = []
    complete_target, inbox_target = TARGETS["sqlite" if label == "SQLite" else "postgresql"]
    upload_dir = workdir / "pieces"

    progress(f"{label}: fresh database, migrations, demo accounts, process deployed")
    engine = database.fresh_engine(url)
    env = dossiers.set_up(engine, url, upload_dir)
    site = Site(url, upload_dir)
    try:
        measures.log_in_everyone(site, REVIEWERS)

        # (b) one dossier, favourable path, two rounds of complements
        progress(f"{label}: (b) walks, engine level then HTTP")
        dossiers.walk_engine(env)  # warm-up
        engine_walks = Timings(tuple(dossiers.walk_engine(env)[0] for _ in range(options.walks)))
        measures.walk_http(env, site)  # warm-up (and every user logged in)
        http_walks = [measures.walk_http(env, site) for _ in range(options.walks)]
        http_wall = Timings(tuple(walk.wall for walk in http_walks))
        http_server = Timings(tuple(walk.server for walk in http_walks))
        steps = len(env.scenarios[dossiers.TWO_ROUNDS].steps)
        report.add(
            f"(b) walk, 2 rounds of complements, engine level ({steps} tasks)",
            f"median {engine_walks.median_ms:.0f} ms",
            "",
            None,
            f"start + every task via engine.studio.scenario in one transaction, commit included; "
            f"{engine_walks.spread()}",
        )
        report.add(
            "(b) walk, 2 rounds of complements, HTTP level",
            f"median {http_wall.median_ms:.0f} ms wall, {http_server.median_ms:.0f} ms server",
            "",
            None,
            f"tests/walk.py's users, {http_walks[0].requests} requests per walk (pages opened "
            f"on the way and uploads included, logins excluded); wall {http_wall.spread()}",
        )

        # (p) a decision letter as PDF (bench/documents.py)
        documents.measure(env, report, label)

        # (c) state size per dossier
        progress(f"{label}: (c) state sizes after 0, 1, 2 and 10 rounds of complements")
        at_two = 0
        for rounds in (0, 1, 2, 10):
            sizes = dossiers.state_sizes(env, rounds)
            at_end = f"{sizes.at_end:,} B at the end ({sizes.status_label})"
            detail = f"{sizes.at_depot:,} B at dépôt, {sizes.largest:,} B at its largest"
            if sizes.tasks_in_tree is not None:
                detail += f"; {sizes.tasks_in_tree} tasks in the tree"
            if sizes.at_end_json is not None and sizes.at_end_json != sizes.at_end:
                detail += f"; {sizes.at_end_json:,} B of JSON once decoded"
            elif sizes.at_end_zlib is not None:
                detail += f"; zlib would store {sizes.at_end_zlib:,} B"
            notes = [detail]
            at_two = sizes.at_end if rounds == 2 else at_two
            if rounds == 10:
                report.add(
                    "(c) state size, 10 rounds", at_end,
                    f"≤ {STATE_TARGET:,} B at the end and at its largest, within 10 % of 2 rounds",
                    max(sizes.at_end, sizes.largest) <= STATE_TARGET
                    and sizes.at_end <= at_two * STATE_FLAT,
                    *notes,
                )  # fmt: skip
            else:
                report.add(f"(c) state size, {rounds} round(s)", at_end, "", None, *notes)

        # (a) and (d) with (almost) nothing in the database
        present = env.count_instances()
        progress(f"{label}: (a) {options.completions} completions with {present} instances")
        empty = measures.complete_tasks(env, site, options.completions, options.warmup)
        report.add(
            f"(a) complete task, {label}, 0 instances",
            empty.server.short(),
            f"≤ {complete_target:.0f} ms median",
            empty.server.median_ms <= complete_target,
            f"server (WSGI) {empty.server.spread()}; posted as {empty.content_type}",
            f"GET of the task page before it: {empty.opened.short()}",
            f"server thread CPU median {empty.cpu.median_ms:.1f} ms; client.post round trip "
            f"median {empty.client.median_ms:.1f} ms; load avg. {_load()} (this bench ≈ 1); "
            f"{present} dossiers of the bench present",
        )
        small_inbox = measures.inbox(site, "/instruction/", options.inbox_requests)

        # (g) the séance's 40 dossiers, made by the engine before the bulk insert
        progress(f"{label}: (g) {seances.ON_AGENDA} dossiers on a séance's agenda")
        seance_id = seances.prepare(env)

        # 100,000 instances
        progress(f"{label}: bulk-inserting {options.instances:,} instances")
        loaded = bulk.bulk_insert(env, options.instances)
        database.analyze(engine)
        mix = ", ".join(f"{name} {count:,}" for name, count in sorted(loaded.by_template.items()))
        report.add(
            f"bulk insert of {loaded.instances:,} instances + 1 open work item each",
            f"{loaded.seconds:.1f} s",
            "",
            None,
            "copies of real dossiers made by the engine: " + mix,
        )

        present = env.count_instances()
        progress(f"{label}: (a) {options.completions} completions with {present:,} instances")
        profiler = cProfile.Profile() if options.profile else None
        full = measures.complete_tasks(
            env, site, options.completions, options.warmup, profiler=profiler
        )
        if profiler is not None:
            profiles.append(_profile_text(f"{label}: completions at full size", profiler))
        report.add(
            f"(a) complete task, {label}, {options.instances:,} instances",
            full.server.short(),
            f"≤ {complete_target:.0f} ms median",
            full.server.median_ms <= complete_target,
            f"server (WSGI) {full.server.spread()}; posted as {full.content_type}",
            f"GET of the task page before it: {full.opened.short()}",
            f"server thread CPU median {full.cpu.median_ms:.1f} ms; client.post round trip "
            f"median {full.client.median_ms:.1f} ms; load avg. {_load()} (this bench ≈ 1); "
            f"{present:,} instances present",
        )
        report.add(
            f"(a) statements per completion, {label}",
            f"{statistics.median(full.statements):.0f} (median; {min(full.statements)}–"
            f"{max(full.statements)})",
            f"≤ {STATEMENTS_TARGET}",
            statistics.median(full.statements) <= STATEMENTS_TARGET,
            "SQL statements of the POST, BEGIN and COMMIT apart: " + " | ".join(full.example),
        )
        allowed = max(empty.server.median_ms * NO_SLOWER_RATIO, empty.server.median_ms + 1)
        report.add(
            f"(a) {options.instances:,} vs 0 instances",
            f"median {full.server.median_ms / empty.server.median_ms:.2f}× "
            f"({full.server.median_ms - empty.server.median_ms:+.1f} ms)",
            f"no slower: ≤ {allowed:.1f} ms (+20 % or +1 ms of noise)",
            full.server.median_ms <= allowed,
        )

        progress(f"{label}: (d) inbox of recevabilite@ at {present:,} instances")
        profiler = cProfile.Profile() if options.profile else None
        site.timer.profiler = profiler
        big_inbox = measures.inbox(site, "/instruction/", options.inbox_requests)
        site.timer.profiler = None
        if profiler is not None:
            profiles.append(_profile_text(f"{label}: inbox at full size", profiler))
        filtered = measures.inbox(
            site, "/instruction/?etape=designer_rapporteur&tri=recent", options.inbox_requests
        )
        last_page = measures.inbox(site, "/instruction/?page=500", 10)
        report.add(
            f"(d) inbox GET /instruction/, {label}, {options.instances:,} instances",
            big_inbox.server.short(),
            f"≤ {inbox_target:.0f} ms median",
            big_inbox.server.median_ms <= inbox_target,
            f"server (WSGI) {big_inbox.server.spread()}; thread CPU median "
            f"{big_inbox.cpu.median_ms:.1f} ms; {big_inbox.size // 1024} KB page; "
            f"load avg. {_load()} (this bench ≈ 1)",
            f"same page with ~0 instances: {small_inbox.server.short()}",
            f"?etape=designer_rapporteur&tri=recent: {filtered.server.short()}; "
            f"?page=500: {last_page.server.short()}",
        )
        # (g) a séance's page with 40 dossiers (bench/seances.py)
        seances.measure(site, report, label, seance_id, present)
        # (w) the worklists: Bannette searched, bulk action, XLSX export (bench/worklists.py)
        worklists.measure(env, site, report, label)
        # (e) timers fired by worker processes (PostgreSQL: several side by side)
        _measure_timers(env, label, report, options)
        # (s) the public register's search page (bench/register_search.py)
        register_search.measure(engine, site, report, label)
        # (f) the register's open-data export (bench/opendata.py: a database of its own)
        opendata.measure(url, workdir, report)
    finally:
        site.close()
        engine.dispose()
    report.add("time for this database", f"{time.perf_counter() - began:.0f} s")
    return report, profiles


def _measure_timers(env: dossiers.Env, label: str, report: Report, options: Options) -> None:
    waiting = timers.waiting_dossier(env)
    counts = (1, 3) if label == "PostgreSQL" else (1,)
    for workers in counts:
        progress(f"{label}: (e) {options.timers:,} due timers, {workers} worker process(es)")
        rate = timers.fire_rate(env, waiting, workers, options.timers, f"{label[0]}{workers}")
        met = rate >= TIMERS_TARGET if workers == 3 else None
        report.add(
            f"(e) timers fired, {workers} worker(s), {label}",
            f"{rate:.0f} per second",
            f"≥ {TIMERS_TARGET} per second" if workers == 3 else "",
            met,
            f"{options.timers:,} dossiers waiting for their session date, all due at once; "
            f"each firing loads the dossier, runs the engine, opens « Délibérer » and queues "
            f"its email; `inventaire worker` processes; load avg. {_load()}",
        )
    progress(f"{label}: (e) due → fired delay, 1 worker, default polling")
    delays = timers.due_to_fire_delays(env, waiting, 60, spread=12.0)
    report.add(
        f"(e) due time → timer fired, {label}",
        f"median {delays.median_ms / 1000:.2f} s, max {delays.max_ms / 1000:.2f} s",
        f"≤ {DELAY_TARGET:.0f} s",
        delays.max_ms <= DELAY_TARGET * 1000,
        f"60 timers falling due over 12 s; 1 `inventaire worker`, polling every 1 s; "
        f"{delays.spread()}",
    )


def _profile_text(title: str, profiler: cProfile.Profile, limit: int = 35) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(limit)
    return f"--- profile: {title} (cumulative) ---\n{stream.getvalue()}"


def header() -> str:
    """What was measured (revision of the tree) and in which conditions (machine load)."""
    try:
        revision = subprocess.run(
            ["git", "describe", "--always", "--dirty=+uncommitted changes"],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        revision = ""
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    busy = "  (other processes compete for the CPU: timings are inflated)" if load > 1.0 else ""
    return (
        f"Inventaire bench — tree {revision or '?'} — Python {platform.python_version()}, "
        f"{cores} cores, load average {load:.2f} at start{busy}"
    )


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    args = parse_args(arguments)
    if args.large:
        return large.run(
            large.options_from(args, args.instances if args.instances_given else large.LARGE),
            header,
        )
    options = parse(arguments)
    began = time.perf_counter()
    print(header(), flush=True)
    targets: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="inventaire-bench-") as tmp:
        if not options.postgres_only:
            folder = Path(tmp) / "sqlite"
            folder.mkdir()
            targets.append(("sqlite", database.fresh_sqlite(folder)))
        pg_url, why = database.postgres_url()
        if pg_url is not None:
            targets.append(("postgresql", pg_url))
        else:
            progress(f"PostgreSQL skipped ({why}; e.g. BENCH_DATABASE_URL=auto)")
        reports: list[Report] = []
        failures: list[str] = []
        profiles: list[str] = []
        skipped: list[str] = []
        for kind, url in targets:
            folder = Path(tmp) / kind
            folder.mkdir(exist_ok=True)
            unreachable = database.postgres_unreachable(url) if kind == "postgresql" else None
            if unreachable is not None:
                skipped.append(
                    f"PostgreSQL not measured: {database.describe(url)} unreachable ({unreachable})"
                )
                progress(skipped[-1])
                continue
            try:
                report, texts = run_database(url, options, folder)
            except Exception as error:  # a bench that cannot measure says so, then goes on
                failures.append(f"{kind}: {type(error).__name__}: {error}")
                progress(f"{kind}: FAILED: {error}")
                continue
            reports.append(report)
            profiles.extend(texts)
            print(report.render(), flush=True)
            print(flush=True)
        # The load test last: its own fresh databases and servers (bench/load.py).
        load_reports, load_failures = load.run_all(load.Options(sqlite=not options.postgres_only))
        reports.extend(load_reports)
        failures.extend(load_failures)
    for text in profiles:
        print(text)
    missed = [line for report in reports for line in report.missed()]
    print(
        f"Bench done in {time.perf_counter() - began:.0f} s, load average {_load()} at end: "
        f"{len(missed)} target(s) MISSED"
        + (" — " + "; ".join(f"{r.title.split(':')[0]} {line.label}" for r in reports
                             for line in r.missed()) if missed else "")
    )  # fmt: skip
    if pg_url is None:
        print("PostgreSQL not measured: set BENCH_DATABASE_URL (or BENCH_DATABASE_URL=auto).")
    for line in skipped:
        print(line)
    for failure in failures:
        print(f"NOT MEASURED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
