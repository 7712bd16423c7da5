"""(p) A decision letter as PDF: the time the worker takes to make one.

A dossier refused by the commission (the scenario `refus`, engine level) has its decision
letter's job written with the refusal; what that job does is timed on its own payload: the
template rendered to HTML, then WeasyPrint with the Marianne fonts and the bloc-marque (an
official service's, the heavier), `runs` times after a warm-up; then the whole job (the file
kept, the piece and its history written, commit). The first PDF of a process (WeasyPrint's
import, the fonts) is shown apart.

`python -m bench.documents` measures it alone on a fresh SQLite file; `python -m bench`
includes it.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from bench import database, dossiers
from bench.report import Report, Timings, progress
from engine.core.db import make_session_factory
from engine.core.models import Job
from engine.core.settings import EngineSettings
from engine.pdf import generation
from engine.pdf.templates import template
from web.config import DSFR_DIR

TARGET_MS = 300.0
RUNS = 20
WARMUP = 3
LETTER = "decision"


def measure(env: dossiers.Env, report: Report, label: str, runs: int = RUNS) -> None:
    progress(f"{label}: (p) decision letter PDF, {runs} renderings")
    refus = env.scenarios["refus"]
    settings = EngineSettings(dsfr_dir=DSFR_DIR, official=True, pieces_dir=env.store.root)
    # Sessions that carry where pieces are kept, as the application's do: the refusal writes
    # its letter's job.
    with make_session_factory(env.engine, settings)() as session:
        instance = dossiers.play(env, session, refus.organisation, refus.steps)
        session.commit()
        job = next(
            row
            for row in session.scalars(
                select(Job).where(Job.instance_id == instance.id, Job.kind == "document")
            )
            if (row.payload or {}).get("modele") == LETTER
        )
        values = dict(job.payload["valeurs"])
        found = template(LETTER)

        started = time.perf_counter()
        _, first = generation.produce(session, settings, instance, found, values)
        cold = time.perf_counter() - started
        for _ in range(WARMUP):
            generation.produce(session, settings, instance, found, values)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            generation.produce(session, settings, instance, found, values)
            times.append(time.perf_counter() - started)
        rendered = Timings(tuple(times))

        whole = []
        for _ in range(max(3, runs // 4)):
            started = time.perf_counter()
            generation.generate(session, settings, instance, found, values)
            session.commit()
            whole.append(time.perf_counter() - started)
    pages = len(PdfReader(io.BytesIO(first)).pages)
    report.add(
        f"(p) decision letter PDF (refusal, with its reasons and means of appeal), {label}",
        rendered.short(),
        f"≤ {TARGET_MS:.0f} ms median",
        rendered.median_ms <= TARGET_MS,
        f"template → HTML → WeasyPrint (Marianne, bloc-marque), the worker's job minus its "
        f"writes; {rendered.spread()}; {len(first) // 1024} KB, {pages} page(s)",
        f"the whole job (file kept, piece, history, commit): median "
        f"{statistics.median(whole) * 1000:.1f} ms; the first PDF of a process (WeasyPrint's "
        f"import, fonts): {cold * 1000:.0f} ms",
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="inventaire-bench-documents-") as tmp:
        url = database.fresh_sqlite(Path(tmp))
        engine = database.fresh_engine(url)
        env = dossiers.set_up(engine, url, Path(tmp) / "pieces")
        report = Report(f"SQLite: {database.describe(url)}")
        try:
            measure(env, report, "SQLite")
        finally:
            engine.dispose()
        print(report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
