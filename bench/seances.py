"""(g) A séance's page with 40 dossiers on its ordre du jour, at 100,000 dossiers: median server
time of `GET /seances/<id>` as the secretariat (the agenda with rapporteurs and categories, the
dossiers ready to be inscribed, the séances to carry the agenda over to).

The 40 dossiers are real ones, played by the engine up to *Inscrire à l'ordre du jour* with
that séance (bench/dossiers.py's `play`), before the bulk insert of the other dossiers.

`python -m bench.seances [--instances N]` measures it alone on a fresh SQLite file (N bulk
dossiers besides, 1,000 by default); `python -m bench` includes it at 100,000.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

from bench import bulk, database, dossiers, measures
from bench.client import Site
from bench.report import Report, Timings, progress
from engine.core.clock import PARIS, utcnow
from engine.core.models import Seance, SeanceStatus

SECRETARIAT = "recevabilite@example.org"
ON_AGENDA = 40
REQUESTS = 30
WARMUP = 3
TARGET_MS = 50.0
INSCRIPTION = "inscrire_ordre_du_jour"


def prepare(env: dossiers.Env, count: int = ON_AGENDA) -> int:
    """A séance prévue in a month with `count` dossiers on its agenda; returns its id."""
    played = env.scenarios[dossiers.FAVORABLE]
    last = next(i for i, step in enumerate(played.steps) if step.task == INSCRIPTION)
    with env.sessions() as session:
        day = (utcnow() + timedelta(days=30)).astimezone(PARIS).date()
        seance = Seance(
            commission="cncp",
            debut=datetime.combine(day, time(14, 0), tzinfo=PARIS),
            lieu="Salle Duquesne",
            lien_visio="",
            statut=SeanceStatus.PREVUE,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(seance)
        session.flush()
        steps = [*played.steps[:last], replace(played.steps[last], data={"seance_id": seance.id})]
        for _ in range(count):
            dossiers.play(env, session, played.organisation, steps)
        session.commit()
        return seance.id


def measure(site: Site, report: Report, label: str, seance_id: int, present: int) -> None:
    progress(f"{label}: (g) séance page with {ON_AGENDA} dossiers at {present:,} dossiers")
    browser = site.browser(SECRETARIAT)
    path = f"/seances/{seance_id}"
    server: list[float] = []
    size = 0
    for index in range(REQUESTS + WARMUP):
        response = browser.get(path)
        body = response.get_data(as_text=True)
        if response.status_code != 200 or f"({ON_AGENDA})" not in body:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
        if index >= WARMUP:
            server.append(site.timer.last)
        size = len(body)
    timings = Timings(tuple(server))
    report.add(
        f"(g) séance page, {ON_AGENDA} dossiers, {label}, {present:,} dossiers",
        timings.short(),
        f"≤ {TARGET_MS:.0f} ms median",
        timings.median_ms <= TARGET_MS,
        f"GET {path} as {SECRETARIAT}; server (WSGI) {timings.spread()}; {size // 1024} KB page",
    )


def main(argv: list[str] | None = None) -> int:
    """Only this measure, on a fresh SQLite file."""
    parser = argparse.ArgumentParser(prog="python -m bench.seances")
    parser.add_argument("--instances", type=int, default=1000, help="bulk dossiers (1000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="inventaire-bench-") as tmp:
        url = database.fresh_sqlite(Path(tmp))
        engine = database.fresh_engine(url)
        env = dossiers.set_up(engine, url, Path(tmp) / "pieces")
        site = Site(url, Path(tmp) / "pieces")
        report = Report(f"SQLite: {database.describe(url)}")
        try:
            measures.log_in_everyone(site, [SECRETARIAT])
            seance_id = prepare(env)
            bulk.bulk_insert(env, args.instances)
            database.analyze(engine)
            measure(site, report, "SQLite", seance_id, env.count_instances())
        finally:
            site.close()
            engine.dispose()
        print(report.render(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
