"""(w) The worklists at volume: the *Bannette* filtered and searched, a bulk action on 100
dossiers, an XLSX export of 10,000 dossiers (time and memory).

The bulk-inserted dossiers (bench/bulk.py, Core inserts) have no row in the dossiers' search
index yet: it is built first with the function every change uses (timed and shown). Then, as
recevabilite@ through the app in-process (server time, bench.client.ServerTimer):

- `GET /instruction/?etape=…&q=…`: the Bannette at a step, searched for a reference's number,
  and (shown beside) for a word every dossier has;
- `POST /instruction/lot`: *Envoyer un message* to 100 dossiers of the Bannette (each in its
  own transaction: its message, its audit event, its email job);
- the XLSX export of 10,000 dossiers, engine level (ids in the list's order, rows read by
  batches, openpyxl's write-only workbook into a file): its time, then its peak of Python
  memory (tracemalloc, a second run) beside the same export of 1,000 dossiers: flat memory
  means about the same peak.

`python -m bench.worklists [--instances N]` measures it alone on a fresh SQLite file (and on
PostgreSQL when BENCH_DATABASE_URL is set); `python -m bench` includes it at 100,000.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import select

from bench import bulk, database, dossiers
from bench.client import Site, timed_gets
from bench.report import Report, Timings, progress
from engine.core.actor import Actor
from engine.core.models import Instance, User, WorkItem
from engine.workflow.worklists import exports, index, writers
from engine.workflow.worklists.filters import Criteria

REVIEWER = "recevabilite@example.org"
STEP = "examiner_recevabilite"
REQUESTS = 20
WARMUP = 3
BULK = 100
EXPORTED = 10_000
SMALL_EXPORT = 1_000
TARGETS = {"search": 50.0, "bulk": 5.0, "export": 10.0}


def measure(env: dossiers.Env, site: Site, report: Report, label: str) -> None:
    progress(f"{label}: (w) dossiers' search index for the bulk-inserted dossiers")
    started = time.perf_counter()
    with env.engine.begin() as connection:
        count = index.rebuild(connection)
    built = time.perf_counter() - started
    database.analyze(env.engine)
    report.add(
        f"(w) search index of {count:,} dossiers built, {label}",
        f"{built:.1f} s",
        "",
        None,
        "engine.workflow.worklists.index.rebuild (what each change does, for every dossier)",
    )
    _search(env, site, report, label)
    _bulk(site, report, label)
    _export(env, report, label)


def _search(env: dossiers.Env, site: Site, report: Report, label: str) -> None:
    with env.sessions() as session:
        # A dossier of the Bannette at that step: the search finds it.
        reference = session.scalar(
            select(Instance.reference)
            .join(WorkItem, WorkItem.instance_id == Instance.id)
            .where(WorkItem.task_spec == STEP, WorkItem.status == "open")
            .order_by(Instance.id.desc())
            .limit(1)
        )
    number = str(reference).rsplit("-", 1)[-1]
    browser = site.browser(REVIEWER)

    def timed(path: str) -> Timings:
        return Timings(tuple(timed_gets(site, browser, path, REQUESTS, WARMUP)))

    progress(f"{label}: (w) Bannette filtered and searched")
    rare = timed(f"/instruction/?etape={STEP}&q={number}")
    found = browser.get(f"/instruction/?etape={STEP}&q={number}").get_data(as_text=True)
    if str(reference) not in found:
        raise RuntimeError(f"the search for {number} does not find {reference}")
    common = timed(f"/instruction/?etape={STEP}&q=habilitation&tri=echeance")
    overdue = timed("/instruction/?en_retard=1&tri=echeance")
    listed = timed(f"/instruction/dossiers?q={number}&statut=D%C3%A9pos%C3%A9e")
    report.add(
        f"(w) Bannette, step + text search, {label}",
        rare.short(),
        f"≤ {TARGETS['search']:.0f} ms median",
        rare.median_ms <= TARGETS["search"],
        f"GET /instruction/?etape={STEP}&q={number} as {REVIEWER}; {rare.spread()}",
        f"a word of every dossier (&q=habilitation, due date order): {common.short()}; "
        f"overdue only: {overdue.short()}; Tous les dossiers, number + status: {listed.short()}",
    )


def _bulk(site: Site, report: Report, label: str) -> None:
    progress(f"{label}: (w) bulk message to {BULK} dossiers")
    browser = site.browser(REVIEWER)
    chosen: list[str] = []
    page = 1
    while len(chosen) < BULK and page < 20:
        body = browser.get(f"/instruction/?etape={STEP}&page={page}").get_data(as_text=True)
        found = re.findall(r'name="dossier" value="([0-9:]+)"', body)
        if not found:
            break
        chosen += found
        page += 1
    chosen = chosen[:BULK]
    started = time.perf_counter()
    response = browser.post(
        "/instruction/lot",
        {"action": "message", "confirmer": "1", "texte": "Bonjour, merci de votre patience.",
         "dossier": chosen},
        from_page=f"/instruction/?etape={STEP}",
    )  # fmt: skip
    wall = time.perf_counter() - started
    server = site.timer.last
    done = re.search(r"(\d+) dossiers? traités?, (\d+) refusés?", response.get_data(as_text=True))
    report.add(
        f"(w) bulk action on {len(chosen)} dossiers, {label}",
        f"{server:.2f} s server",
        f"≤ {TARGETS['bulk']:.0f} s",
        server <= TARGETS["bulk"] and response.status_code == 200,
        f"POST /instruction/lot « Envoyer un message », each dossier its own transaction "
        f"(message, audit event, email job); {done.group(0) if done else 'no report'}; "
        f"wall {wall:.2f} s (CSRF page included)",
    )


def _export(env: dossiers.Env, report: Report, label: str) -> None:
    progress(f"{label}: (w) XLSX export of {EXPORTED:,} dossiers")
    columns = exports.chosen_columns([*exports.COLUMNS])
    with env.sessions() as session:
        user = session.scalar(select(User).where(User.email == REVIEWER))
        assert user is not None
        actor = Actor.from_user(user)
        every = exports.ordered_ids(session, actor, criteria=Criteria(tri="recent"))

        def run(count: int) -> tuple[float, int]:
            ids = every[:count]
            with tempfile.TemporaryFile() as out:
                started = time.perf_counter()
                writers.write(
                    "xlsx", out, [c.label for c in columns], exports.stream(session, columns, ids)
                )
                elapsed = time.perf_counter() - started
                return elapsed, out.tell()

        seconds, size = run(EXPORTED)
        peaks = {}
        for count in (SMALL_EXPORT, EXPORTED):
            tracemalloc.start()
            run(count)
            peaks[count] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    exported = min(EXPORTED, len(every))
    report.add(
        f"(w) XLSX export of {exported:,} dossiers, {label}",
        f"{seconds:.2f} s",
        f"≤ {TARGETS['export']:.0f} s, memory flat",
        seconds <= TARGETS["export"],
        f"{len(columns)} columns, {size // 1024:,} KB; the list's ids in order, rows by "
        f"batches of {exports.BATCH}, openpyxl write-only",
        f"peak Python memory (tracemalloc): {peaks[SMALL_EXPORT] / 2**20:.1f} MB for "
        f"{min(SMALL_EXPORT, len(every)):,} dossiers, {peaks[EXPORTED] / 2**20:.1f} MB for "
        f"{exported:,} (the list of ids aside, it does not grow with the rows)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worklists")
    parser.add_argument("--instances", type=int, default=100_000)
    args = parser.parse_args(argv)
    targets = []
    with tempfile.TemporaryDirectory(prefix="inventaire-bench-worklists-") as tmp:
        targets.append(("SQLite", database.fresh_sqlite(Path(tmp))))
        pg_url, _why = database.postgres_url()
        if pg_url is not None and database.postgres_unreachable(pg_url) is None:
            targets.append(("PostgreSQL", pg_url))
        for label, url in targets:
            engine = database.fresh_engine(url)
            folder = Path(tmp) / label
            env = dossiers.set_up(engine, url, folder / "pieces")
            site = Site(url, folder / "pieces")
            report = Report(f"{label}: {database.describe(url)}")
            try:
                progress(f"{label}: bulk-inserting {args.instances:,} instances")
                bulk.bulk_insert(env, args.instances)
                database.analyze(engine)
                measure(env, site, report, label)
            finally:
                site.close()
                engine.dispose()
            print(report.render(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
