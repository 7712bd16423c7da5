"""(f) The register's open-data export: XML (and CSV) of 50,000 entries, time and memory.

The register mixes what it holds in life: half the entries are copies of the 8 real fiches of
data/rs-open-data-sample.xml read by the importer's own mapping (partners cut to 20 a
fiche: the one with 377 would otherwise weigh more than all the others), half are entries as
our procedure publishes them (engine.register.publication.public_content of the scenarios' forms).
Numbers are renewed, one entry in ten renews the one before it; Core executemany inserts them.
`export_xml` then writes them to a temporary file. Memory: tracemalloc's peak of Python
allocations during an export of 5,000 then of 50,000 entries — the same peak means the export
streams. It runs in a database of its own (see `measure`).

`python -m bench.opendata` measures it alone on a fresh SQLite file and, when
BENCH_DATABASE_URL is set, on PostgreSQL; `python -m bench` includes it.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from bench import database
from bench.report import Report, progress
from engine.core.models import RegisterEntry
from engine.register.filing import certifiers_of
from engine.register.opendata.export import export_csv, export_xml
from engine.register.opendata.importer import NO_CATEGORY, entry_values
from engine.register.opendata.reading import Fiche, read_fiche
from engine.register.publication import public_content

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "rs-open-data-sample.xml"
SCENARIOS = ROOT / "processes" / "recensement" / "scenarios"
ENTRIES = 50_000
SMALL = 5_000
BATCH = 5_000
PARTNERS = 20
PREFIX = "BENCHOD"
TARGET_SECONDS = 5.0  # issue 14 (10 s before)
SUFFIX = "_opendata"  # on PostgreSQL, beside the bench's own database: bench_opendata


def measure(url: str, workdir: Path, report: Report) -> None:
    """In a database of its own next to the bench's (`url`): a fresh SQLite file in `workdir`,
    or the database named after the bench's with `_opendata` (`bench_opendata`) on the same
    PostgreSQL server. Deleting 50,000 entries
    from a shared database would take long (each DELETE checks the self-reference
    `precedente_id`), and the other measures keep the register they expect."""
    own = own_database(url, workdir)
    label = "SQLite" if own.startswith("sqlite") else "PostgreSQL"
    engine = database.fresh_engine(own)
    try:
        _measure(engine, report, label)
    finally:
        engine.dispose()


def own_database(url: str, workdir: Path) -> str:
    if url.startswith("sqlite"):
        folder = workdir / "opendata"
        folder.mkdir(parents=True, exist_ok=True)
        return database.fresh_sqlite(folder)
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + SUFFIX
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _measure(engine: Engine, report: Report, label: str) -> None:
    templates = _templates()
    progress(f"{label}: (f) open-data export, bulk-inserting {SMALL:,} register entries")
    insert_seconds = _insert(engine, templates, 0, SMALL)
    small_peak = _traced_peak(engine)
    progress(f"{label}: (f) open-data export, {ENTRIES - SMALL:,} more entries")
    insert_seconds += _insert(engine, templates, SMALL, ENTRIES)
    _analyze(engine)
    with tempfile.TemporaryDirectory(prefix="inventaire-bench-opendata-") as folder:
        progress(f"{label}: (f) XML and CSV exports of {ENTRIES:,} entries")
        xml_path = Path(folder) / "registre.xml"
        seconds, count = _timed(engine, xml_path, "xml")
        size = xml_path.stat().st_size
        csv_seconds, _ = _timed(engine, Path(folder) / "registre.csv", "csv")
    progress(f"{label}: (f) memory of the XML export (tracemalloc)")
    big_peak = _traced_peak(engine)
    report.add(
        f"(f) bulk insert of {ENTRIES:,} register entries (real fiches and our publications)",
        f"{insert_seconds:.1f} s",
        "",
        None,
        f"Core executemany in batches of {BATCH:,}; search index filled by the triggers",
    )
    report.add(
        f"(f) XML export, {ENTRIES:,} entries",
        f"{seconds:.1f} s",
        f"≤ {TARGET_SECONDS:.0f} s",
        seconds <= TARGET_SECONDS,
        f"{count:,} fiches, {size / 1024 / 1024:.0f} MB ({size / 1024 / 1024 / seconds:.0f} MB/s)"
        f"; CSV of the same: {csv_seconds:.1f} s",
        f"Python peak during the export (tracemalloc): {small_peak / 1024 / 1024:.1f} MB at "
        f"{SMALL:,} entries, {big_peak / 1024 / 1024:.1f} MB at {ENTRIES:,} (flat: streamed)",
    )


def _templates() -> list[Fiche]:
    root = etree.parse(str(SAMPLE)).getroot()
    templates = []
    for element in root.iterfind("FICHE"):
        fiche = read_fiche(element)
        content = dict(fiche.content)
        if "partenaires" in content:
            content["partenaires"] = content["partenaires"][:PARTNERS]
        templates.append(
            Fiche(
                fiche.numero,
                fiche.intitule,
                fiche.certificateurs,
                fiche.date_decision,
                fiche.debut_validite,
                fiche.fin_validite,
                fiche.actif,
                content,
            )
        )
    return templates


def _published() -> list[dict[str, Any]]:
    """Entries as the procedure publishes them, from the form of each scenario's dépôt."""
    now = datetime.now(UTC)
    entries = []
    for path in sorted(SCENARIOS.glob("*.json")):
        steps = json.loads(path.read_text(encoding="utf-8"))["steps"]
        filed = next((step["data"] for step in steps if step.get("task") == "saisir_demande"), None)
        if filed is None:
            continue
        entries.append(
            {
                "intitule": filed["intitule"],
                "categorie": filed.get("categorie", "C"),
                "certificateurs": {"certificateurs": certifiers_of(filed)},
                "autorite_legitime": "CPNE de la métallurgie",
                "content": public_content(filed, 5, now),
                "date_decision": now,
                "debut_validite": now,
                "fin_validite": now + timedelta(days=5 * 365),
                "statut": "active",
                "motif_retrait": None,
                "source": "inventaire",
                "registre": "inventaire",
            }
        )
    return entries


def _rows(templates: list[Fiche], start: int, stop: int) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    published = _published()
    for number in range(start, stop):
        moment = now - timedelta(days=number % 2000)
        common = {
            "numero": f"{PREFIX}{number:07d}",
            "numero_precedent": f"{PREFIX}{number - 1:07d}" if number % 10 == 9 else None,
            "statut_change_le": moment,
            "created_at": moment,
            "updated_at": moment,
        }
        if number % 2:
            yield published[number // 2 % len(published)] | common
            continue
        fiche = templates[number // 2 % len(templates)]
        values = entry_values(fiche, now)
        content = dict(values["content"])
        content["id_fiche"] = str(900_000 + number)
        content.pop("anciennes_certifications", None)
        content.pop("nouvelles_certifications", None)
        yield (
            values
            | common
            | {
                "categorie": NO_CATEGORY,
                "registre": "rs",
                "autorite_legitime": None,
                "content": content,
                "source": "import",
            }
        )


def _insert(engine: Engine, templates: list[Fiche], start: int, stop: int) -> float:
    began = time.perf_counter()
    rows = _rows(templates, start, stop)
    with engine.begin() as connection:
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            connection.execute(insert(RegisterEntry), batch)
    return time.perf_counter() - began


def _analyze(engine: Engine) -> None:
    """Planner statistics after a bulk load, as autovacuum gathers them in life (PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM ANALYZE register_entry"))


def _timed(engine: Engine, path: Path, kind: str) -> tuple[float, int]:
    with Session(engine) as session:
        began = time.perf_counter()
        if kind == "xml":
            with path.open("wb") as out:
                count = export_xml(session, out)
        else:
            with path.open("w", encoding="utf-8", newline="") as text:
                count = export_csv(session, text)
        return time.perf_counter() - began, count


class _Sink(io.RawIOBase):
    """Bytes written and forgotten: the memory traced is the export's, not the output's."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


def _traced_peak(engine: Engine) -> int:
    with Session(engine) as session:
        tracemalloc.start()
        try:
            export_xml(session, io.BufferedWriter(_Sink()))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def main() -> int:
    """Only this measure: a fresh SQLite file, then PostgreSQL when BENCH_DATABASE_URL is set."""
    with tempfile.TemporaryDirectory(prefix="inventaire-bench-") as tmp:
        urls = ["sqlite://"]
        pg_url, why = database.postgres_url()
        if pg_url is not None:
            urls.append(pg_url)
        else:
            progress(f"PostgreSQL skipped ({why})")
        for url in urls:
            label = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
            report = Report(f"{label}: {database.describe(own_database(url, Path(tmp)))}")
            measure(url, Path(tmp), report)
            print(report.render(), flush=True)
            print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
