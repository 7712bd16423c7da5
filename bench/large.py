"""(L) A million dossiers: the same pages at 10,000 and at 1,000,000 dossiers, and their ratio.

`python -m bench --large` (`make bench-large`, `make bench LARGE=1`) builds, on a fresh SQLite
file and on PostgreSQL (BENCH_DATABASE_URL), 10,000 dossiers (copies of real ones, bench/bulk.py,
their search index rows beside them) and a register of 10,000 entries, measures, then grows the
same database to 1,000,000 dossiers and 500,000 entries and measures again (server time, as
recevabilite@ unless said, each page after warm-up GETs):

- (a) completing a task through HTTP (bench/measures.py: GET of the task page, POST of its form);
- the Bannette, `GET /instruction/`;
- *Tous les dossiers* with a filter, `GET /instruction/dossiers?statut=Déposée`;
- a dossier's page for the staff, `GET /instruction/dossiers/<id>`: a dossier walked by the
  engine through two rounds of complements (its history, messages, documents), a copy beside;
- the public register's search for a common word, `GET /registre?q=formation`.

Each figure is printed at both sizes with its ratio: the target is to stay within 1.2× of the
small size (or +1 ms, the timing noise of this machine, as (a) "no slower" allows), and for the
Bannette and *Tous les dossiers* ≤ 20 ms at 1,000,000. The build is timed and shown, with the
database's size on disk. `python -m bench.large --instances 200000 --entries 100000` runs it
at a smaller size (the options of `python -m bench --large` apply).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, func, select, text

from bench import bulk, database, dossiers, measures, register_search
from bench.client import Site, timed_gets
from bench.report import Report, Timings, progress
from engine.core.models import Instance, RegisterEntry, WorkItem, WorkItemStatus
from tests.support import Browser

SMALL = 10_000
LARGE = 1_000_000
SMALL_ENTRIES = 10_000
LARGE_ENTRIES = 500_000
RATIO = 1.20
NOISE_MS = 1.0
LIST_TARGET_MS = 20.0
REVIEWER = dossiers.REVIEWER
STATUS = "Déposée"
DOSSIERS_PATH = f"/instruction/dossiers?statut={quote(STATUS)}"
COMMON_WORD = "/registre?q=formation"
WARMUP = 3
COPIES_VISITED = 20  # copies whose pages are opened in turn (no one page kept warm)


@dataclass(frozen=True)
class Options:
    small: int = SMALL
    large: int = LARGE
    small_entries: int = SMALL_ENTRIES
    large_entries: int = LARGE_ENTRIES
    completions: int = 200
    warmup: int = 20
    requests: int = 30
    postgres_only: bool = False
    sqlite_only: bool = False


@dataclass
class Sample:
    """What was measured at one size: each figure's timings, and notes beside them."""

    dossiers: int
    entries: int
    timings: dict[str, Timings] = field(default_factory=dict)
    # The server thread's CPU time of the same requests (SQLite's work included, not
    # PostgreSQL's): what the machine's other processes do not inflate.
    cpu: dict[str, Timings] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, key: str, text: str) -> None:
        self.notes.setdefault(key, []).append(text)


# (key, label, absolute target in ms at the large size or None)
FIGURES: tuple[tuple[str, str, float | None], ...] = (
    ("complete", "(a) complete a task through HTTP (POST)", None),
    ("bannette", "Bannette, GET /instruction/", LIST_TARGET_MS),
    ("dossiers", f"Tous les dossiers, GET /instruction/dossiers?statut={STATUS}", LIST_TARGET_MS),
    ("dossier", "dossier page (staff), walked dossier", None),
    ("registre", f"register search, common word, GET {COMMON_WORD}", None),
)


def run_database(url: str, options: Options, workdir: Path) -> Report:
    label = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    report = Report(f"{label}: {database.describe(url)} — (L) a million dossiers")
    began = time.perf_counter()
    progress(f"{label}: fresh database, migrations, demo accounts, process deployed")
    engine = database.fresh_engine(url)
    env = dossiers.set_up(engine, url, workdir / "pieces")
    site = Site(url, workdir / "pieces")
    try:
        measures.log_in_everyone(site, [REVIEWER])
        progress(f"{label}: a dossier walked by the engine (two rounds of complements)")
        _seconds, walked = dossiers.walk_engine(env)
        samples = []
        for size, entries in (
            (options.small, options.small_entries),
            (options.large, options.large_entries),
        ):
            _grow(env, report, label, size, entries)
            samples.append(_measure(env, site, label, walked, options))
        _compare(report, *samples)
        report.add("database size on disk", _size(engine, url))
    finally:
        site.close()
        engine.dispose()
    report.add("time for this database", f"{time.perf_counter() - began:.0f} s")
    return report


def _grow(env: dossiers.Env, report: Report, label: str, size: int, entries: int) -> None:
    """Bulk-insert dossiers up to `size` and register entries up to `entries` (timed)."""
    present = env.count_instances()
    if size > present:
        progress(f"{label}: bulk-inserting {size - present:,} dossiers (up to {size:,})")
        loaded = bulk.bulk_insert(env, size - present, seed=size, search=True)
        started = time.perf_counter()
        database.analyze(env.engine)
        analyzed = time.perf_counter() - started
        rate = loaded.instances / loaded.seconds if loaded.seconds else 0
        report.add(
            f"build: {loaded.instances:,} dossiers bulk-inserted (up to {size:,})",
            f"{loaded.seconds:.0f} s",
            "",
            None,
            f"{rate:,.0f} dossiers per second, search index rows included; "
            f"VACUUM ANALYZE after it {analyzed:.0f} s",
        )
    with env.engine.connect() as connection:
        known = connection.scalar(select(func.count()).select_from(RegisterEntry)) or 0
    if entries > known:
        progress(f"{label}: register, {entries - known:,} entries (up to {entries:,})")
        started = time.perf_counter()
        register_search.fill(
            env.engine,
            entries - known,
            seed=entries,
            first=known + 1,
            report=lambda done: progress(f"  {done:,} of {entries - known:,} entries"),
        )
        report.add(
            f"build: {entries - known:,} register entries (up to {entries:,})",
            f"{time.perf_counter() - started:.0f} s",
            "",
            None,
            "Core executemany, search index filled by the database's triggers",
        )


def _measure(env: dossiers.Env, site: Site, label: str, walked: int, options: Options) -> Sample:
    present = env.count_instances()
    with env.engine.connect() as connection:
        entries = connection.scalar(select(func.count()).select_from(RegisterEntry)) or 0
    sample = Sample(present, entries)
    progress(f"{label}: measuring at {present:,} dossiers, {entries:,} register entries")

    done = measures.complete_tasks(env, site, options.completions, options.warmup)
    sample.timings["complete"], sample.cpu["complete"] = done.server, done.cpu
    sample.note("complete", f"GET of the task page before it: {done.opened.short()}")

    browser = site.browser(REVIEWER)
    _figure(sample, "bannette", site, browser, "/instruction/", options.requests)
    for path in ("/instruction/?etape=examiner_recevabilite", "/instruction/?page=2"):
        sample.note("bannette", f"{path}: {_timed(site, browser, path, options.requests).short()}")

    _figure(sample, "dossiers", site, browser, DOSSIERS_PATH, options.requests)
    organisation = env.organisations["cpne"]
    for path in (
        "/instruction/dossiers",
        f"/instruction/dossiers?organisation={organisation}",
        "/instruction/dossiers?etape=examiner_recevabilite",
        "/instruction/dossiers?tri=echeance",
    ):
        sample.note("dossiers", f"{path}: {_timed(site, browser, path, options.requests).short()}")

    page = f"/instruction/dossiers/{walked}"
    _figure(sample, "dossier", site, browser, page, options.requests)
    copies = _copies(env)
    visited = _timed_many(site, browser, [f"/instruction/dossiers/{i}" for i in copies])
    sample.note(
        "dossier",
        f"{page} (walked by the engine); {len(copies)} bulk copies in turn: {visited.short()}",
    )

    public = site.new_browser()
    found, heading = register_search.time_page(site, public, COMMON_WORD)
    sample.timings["registre"] = found
    sample.cpu["registre"] = Timings(tuple(site.timer.cpu[-register_search.REQUESTS :]))
    sample.note("registre", f"« {heading} »")
    rare, heading = register_search.time_page(site, public, f"/registre?q={register_search.RARE}")
    sample.note("registre", f"rare word (?q={register_search.RARE}, « {heading} »): {rare.short()}")
    return sample


def _figure(sample: Sample, key: str, site: Site, browser: Browser, path: str, count: int) -> None:
    """`count` timed GETs of `path`: the figure `key`'s server times and CPU times."""
    mark = site.timer.mark()
    sample.timings[key] = _timed(site, browser, path, count)
    sample.cpu[key] = Timings(tuple(site.timer.cpu[mark + WARMUP :]))


def _timed(site: Site, browser: Browser, path: str, count: int) -> Timings:
    return Timings(tuple(timed_gets(site, browser, path, count, WARMUP)))


def _timed_many(site: Site, browser: Browser, paths: list[str]) -> Timings:
    """Each page once, after one untimed round (each row then read from the cache once)."""
    for path in paths:
        browser.get(path)
    return Timings(tuple(_timed(site, browser, path, 1).values[0] for path in paths))


def _copies(env: dossiers.Env) -> list[int]:
    """Bulk copies spread over the ids, each with an open task (a dossier under way)."""
    with env.sessions() as session:
        last = session.scalar(select(func.max(Instance.id))) or 0
        step = max(1, last // COPIES_VISITED)
        found: list[int] = []
        for start in range(1, last, step):
            instance_id = session.scalar(
                select(WorkItem.instance_id)
                .join(Instance, Instance.id == WorkItem.instance_id)
                .where(
                    WorkItem.instance_id >= start,
                    WorkItem.status == WorkItemStatus.OPEN,
                    Instance.reference.is_not(None),
                )
                .order_by(WorkItem.instance_id)
                .limit(1)
            )
            if instance_id is not None and instance_id not in found:
                found.append(instance_id)
        return found[:COPIES_VISITED]


def _compare(report: Report, small: Sample, large: Sample) -> None:
    for key, label, target_ms in FIGURES:
        before, after = small.timings[key], large.timings[key]
        ratio = after.median_ms / before.median_ms
        allowed = max(before.median_ms * RATIO, before.median_ms + NOISE_MS)
        met = after.median_ms <= allowed
        target = f"≤ {RATIO:.1f}× ({allowed:.1f} ms)"
        if target_ms is not None:
            target += f" and ≤ {target_ms:.0f} ms"
            met = met and after.median_ms <= target_ms
        cpu_before, cpu_after = small.cpu[key].median_ms, large.cpu[key].median_ms
        notes = [
            f"at {small.dossiers:,} dossiers / {small.entries:,} entries: {before.spread()}",
            f"at {large.dossiers:,} dossiers / {large.entries:,} entries: {after.spread()}",
            f"server thread CPU median {cpu_before:.1f} → {cpu_after:.1f} ms "
            f"({cpu_after / cpu_before:.2f}×), fastest {before.min_ms:.1f} → {after.min_ms:.1f} ms "
            "(what the machine's other processes leave out; SQLite's work is in that thread)",
        ]
        for sample in (small, large):
            notes += [f"  {sample.dossiers:,}: {n}" for n in sample.notes.get(key, [])]
        report.add(
            label,
            f"{before.median_ms:.1f} → {after.median_ms:.1f} ms median ({ratio:.2f}×)",
            target,
            met,
            *notes,
        )


def _size(engine: Engine, url: str) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            size = connection.scalar(text("SELECT pg_database_size(current_database())")) or 0
    else:
        path = Path(url.removeprefix("sqlite:///"))
        size = sum(
            part.stat().st_size
            for part in (path, path.with_name(path.name + "-wal"))
            if part.exists()
        )
    return f"{size / 2**30:.2f} GB"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("--large (a million dossiers)")
    group.add_argument("--small", type=int, default=SMALL, help="first size (10000)")
    group.add_argument("--entries", type=int, default=LARGE_ENTRIES, help="register (500000)")
    group.add_argument("--small-entries", type=int, default=SMALL_ENTRIES, help="(10000)")
    group.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")


def options_from(args: argparse.Namespace, large: int) -> Options:
    return Options(
        small=args.small,
        large=large,
        small_entries=args.small_entries,
        large_entries=args.entries,
        completions=args.completions,
        warmup=args.warmup,
        requests=args.inbox_requests,
        postgres_only=args.postgres_only,
        sqlite_only=args.sqlite_only,
    )


def run(options: Options, header: Callable[[], str]) -> int:
    """Both databases (as `python -m bench` does), the reports on stdout."""
    began = time.perf_counter()
    print(header(), flush=True)
    print(
        f"(L) {options.small:,} → {options.large:,} dossiers, {options.small_entries:,} → "
        f"{options.large_entries:,} register entries",
        flush=True,
    )
    reports: list[Report] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="inventaire-bench-large-") as tmp:
        targets: list[str] = []
        if not options.postgres_only:
            folder = Path(tmp) / "sqlite"
            folder.mkdir()
            targets.append(database.fresh_sqlite(folder))
        pg_url, why = database.postgres_url()
        if options.sqlite_only:
            pg_url = None
        elif pg_url is None:
            progress(f"PostgreSQL skipped ({why}; e.g. BENCH_DATABASE_URL=auto)")
        elif (unreachable := database.postgres_unreachable(pg_url)) is not None:
            failures.append(f"postgresql: {database.describe(pg_url)} unreachable ({unreachable})")
        else:
            targets.append(pg_url)
        for url in targets:
            kind = "sqlite" if url.startswith("sqlite") else "postgresql"
            folder = Path(tmp) / kind
            folder.mkdir(exist_ok=True)
            try:
                report = run_database(url, options, folder)
            except Exception as error:  # a bench that cannot measure says so, then goes on
                failures.append(f"{kind}: {type(error).__name__}: {error}")
                progress(f"{kind}: FAILED: {error}")
                continue
            reports.append(report)
            print(report.render(), flush=True)
            print(flush=True)
    missed = [(r, line) for r in reports for line in r.missed()]
    print(
        f"Bench --large done in {time.perf_counter() - began:.0f} s, load average "
        f"{os.getloadavg()[0]:.2f} at the end: {len(missed)} target(s) MISSED"
        + (" — " + "; ".join(f"{r.title.split(':')[0]} {line.label}" for r, line in missed)
           if missed else "")
    )  # fmt: skip
    for failure in failures:
        print(f"NOT MEASURED: {failure}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import header, parse_args

    args = parse_args(sys.argv[1:] if argv is None else argv, prog="python -m bench.large")
    return run(options_from(args, args.instances if args.instances_given else LARGE), header)


if __name__ == "__main__":
    sys.exit(main())
