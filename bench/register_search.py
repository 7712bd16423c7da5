"""(s) The public register's search page over 50,000 entries: median server time per query.

Entries are made up from a French vocabulary (titles, certifiers with SIRET, competences of
60 to 200 words, categories, statuses, autorités légitimes, dates) and bulk-inserted with Core
executemany: the database's triggers fill the search index row by row, as they do for
publication and import. Then `GET /registre?…` goes through the app in-process (Flask's test
client, server time measured by bench.client.ServerTimer) for a common word, a rare word, a
two-word search, a prefix, filters, an empty query and page 2: each search anew (what the
process kept of earlier searches forgotten before each request, as after a change of the
register), then the same search again (its first pages and the autorités kept by the process
for the register's state: engine/register/remembered.py).

`python -m bench.register_search` measures it alone on a fresh SQLite file and, when
BENCH_DATABASE_URL is set, on PostgreSQL; `python -m bench` includes it.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, func, insert, select, text

from bench import database
from bench.client import Site
from bench.report import Report, Timings, progress
from engine.core.models import RegisterEntry
from engine.register.search import forget_kept

ENTRIES = 50_000
BATCH = 5_000
CHUNK = 50_000  # entries per transaction
REQUESTS = 30
WARMUP = 3
TARGET_MS = 20.0  # issue 14 (50 ms before)
RARE = "amiante"  # in about 0.05 % of the entries
# (label, query parameters): what visitors type and choose; {siret} and {autorite} are taken
# from the first entry.
QUERIES: tuple[tuple[str, dict[str, str]], ...] = (
    ("common word", {"q": "formation"}),
    ("common word, sorted by date", {"q": "formation", "tri": "date"}),
    ("common word, page 2", {"q": "formation", "page": "2"}),
    ("rare word", {"q": RARE}),
    ("two words", {"q": "gestion paie"}),
    ("prefix of a word", {"q": "habilit"}),
    ("certifier's SIRET", {"q": "{siret}"}),
    ("word + category + status", {"q": "gestion", "categorie": "B", "statut": "active"}),
    ("filters only", {"categorie": "A", "statut": "active", "autorite": "{autorite}"}),
    ("empty query", {}),
    ("empty query, page 2", {"page": "2"}),
)


def _words(text: str) -> list[str]:
    return text.split()


def _numero(index: int) -> str:
    """The bench's own numbers, apart from those the procedure gives (INV…) or imports (RS…)."""
    return f"BENCH{index:06d}"


def _zipf(words: list[str]) -> list[str]:
    """The words repeated by rank: the first drawn ~len(words) times as often as the last."""
    return [word for rank, word in enumerate(words, 1) for _ in range(max(1, len(words) // rank))]


# Word pools: the first words are drawn far more often (a rough Zipf law, as in real text).
TOPICS = _words(
    "formation gestion sécurité management conduite habilitation prévention accompagnement "
    "maintenance comptabilité paie commerce vente logistique numérique informatique soudure "
    "électricité hygiène restauration tourisme transport manutention bâtiment énergie "
    "environnement santé social petite enfance animation sport langue anglais bureautique "
    "tableur réseaux cybersécurité données marketing communication juridique qualité audit "
    "achat immobilier banque assurance agriculture viticulture élevage paysage forêt eau "
    "nucléaire aéronautique naval ferroviaire automobile plasturgie chimie pharmacie textile"
)
VERBS = _words(
    "analyser organiser planifier réaliser contrôler vérifier conduire piloter animer "
    "accompagner évaluer concevoir rédiger appliquer identifier mettre utiliser assurer gérer "
    "coordonner négocier informer conseiller diagnostiquer installer entretenir réparer "
    "sécuriser prévenir former encadrer superviser"
)
NOUNS = _words(
    "risques procédures équipe projet client chantier installation équipements données "
    "documents budget planning opérations dossier situation besoins règles normes consignes "
    "interventions produits services qualité résultats outils matériels fournisseurs contrats "
    "réglementation démarche processus actions usagers public stagiaires apprenants"
)
WORDS = _words("de la du des les le en et à pour avec dans sur selon")
TOPIC_POOL, VERB_POOL, NOUN_POOL = _zipf(TOPICS), _zipf(VERBS), _zipf(NOUNS)
KINDS = ("Certificat de compétences", "Habilitation", "Attestation", "Certification", "Titre")
CERTIFIERS = ("Formation", "Campus", "Institut", "Académie", "Conseil", "Compétences", "École")


def measure(engine: Engine, site: Site, report: Report, label: str) -> None:
    """Fill the register with ENTRIES entries, then time the search page (adds to `report`)."""
    progress(f"{label}: (s) register search, bulk-inserting {ENTRIES:,} entries")
    began = time.perf_counter()
    present = fill(engine, ENTRIES)
    seconds = time.perf_counter() - began
    report.add(
        f"(s) bulk insert of {ENTRIES:,} register entries",
        f"{seconds:.1f} s",
        "",
        None,
        f"Core executemany in batches of {BATCH:,}, search index filled by the triggers; "
        f"{present:,} entries present",
    )
    with engine.connect() as connection:
        first = connection.execute(
            select(RegisterEntry.certificateurs, RegisterEntry.autorite_legitime).where(
                RegisterEntry.numero == _numero(1)
            )
        ).one()
    known = {
        "siret": first.certificateurs["certificateurs"][0]["siret"],
        "autorite": first.autorite_legitime or "",
    }
    browser = site.new_browser()
    for name, query in QUERIES:
        path = "/registre?" + urlencode(
            {key: value.format(**known) for key, value in query.items()}
        )
        for kept in (False, True):
            timings, found = time_page(site, browser, path, kept=kept)
            again = ", the same search again (kept)" if kept else ""
            report.add(
                f"(s) search page, {name}{again}, {ENTRIES:,} entries",
                timings.short(),
                f"≤ {TARGET_MS:.0f} ms median",
                timings.median_ms <= TARGET_MS,
                f"GET {path}: {found}; server {timings.spread()}",
            )


def fill(
    engine: Engine,
    count: int,
    seed: int = 42,
    *,
    first: int = 1,
    report: Callable[[int], None] | None = None,
) -> int:
    """Insert `count` made-up entries (BENCH000001…, or from number `first`); returns how many
    entries there are. `report(done)` after each transaction of CHUNK entries."""
    rows = _entries(random.Random(seed), count, first)
    done = 0
    while done < count:
        with engine.begin() as connection:
            part = min(CHUNK, count - done)
            while part > 0 and (
                batch := [row for _, row in zip(range(min(BATCH, part)), rows, strict=False)]
            ):
                connection.execute(insert(RegisterEntry), batch)
                part -= len(batch)
                done += len(batch)
        if report is not None:
            report(done)
    if engine.dialect.name == "postgresql":  # planner statistics, as autovacuum would gather
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM ANALYZE register_entry"))
            connection.execute(text("VACUUM ANALYZE register_search"))
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(RegisterEntry)) or 0


def _entries(rng: random.Random, count: int, first: int = 1) -> Iterator[dict[str, Any]]:
    certifiers = [
        (f"{rng.choice(TOPIC_POOL).capitalize()} {rng.choice(CERTIFIERS)} {n}", f"{n:014d}")
        for n in range(1, 2_001)
    ]
    authorities = [f"CPNE de la branche n° {n}" for n in range(1, 41)] + [
        "Ministère du Travail et de l'Emploi",
        "Ministère de l'Agriculture",
        "CCI France",
    ]
    epoch = datetime(2015, 1, 1, 12, tzinfo=UTC)
    now = datetime.now(UTC)
    for index in range(first, first + count):
        decision = epoch + timedelta(days=rng.randrange(0, 4_000))
        end = decision + timedelta(days=365 * rng.randint(2, 6))
        statut = "active" if end > now else "echue"
        if rng.random() < 0.03:
            statut = "retiree"
        subject = rng.sample(TOPIC_POOL, 2)
        chosen = rng.sample(certifiers, rng.choice((1, 1, 1, 2, 3)))
        competences = _text(rng, rng.randint(60, 200), subject)
        if rng.random() < 0.0005:
            competences += f" Repérer l'{RARE} avant travaux."
        yield {
            "numero": _numero(index),
            "intitule": f"{rng.choice(KINDS)} {' '.join(subject)}"[:500],
            "categorie": rng.choice("AABBBCCCC"),
            "certificateurs": {"certificateurs": [{"nom": n, "siret": s} for n, s in chosen]},
            "autorite_legitime": rng.choice(authorities),
            "content": {
                "objectifs_contexte": _text(rng, 40, subject),
                "competences_attestees": competences,
                "modalites_evaluation": _text(rng, 20, subject),
                "mandat": rng.random() < 0.3,
            },
            "date_decision": decision,
            "debut_validite": decision,
            "fin_validite": end,
            "statut": statut,
            "statut_change_le": decision,
            "source": "inventaire",
            "created_at": decision,
            "updated_at": decision,
        }


def _text(rng: random.Random, length: int, subject: list[str]) -> str:
    """Sentences about the entry's subject; now and then another topic, as real texts do."""
    parts: list[str] = []
    while len(parts) < length:
        parts += [
            "-",
            rng.choice(VERB_POOL).capitalize(),
            rng.choice(WORDS),
            rng.choice(NOUN_POOL),
            rng.choice(WORDS),
            rng.choice(TOPIC_POOL) if rng.random() < 0.02 else rng.choice(subject),
        ]
    return " ".join(parts)


def time_page(site: Site, browser: Any, path: str, *, kept: bool = False) -> tuple[Timings, str]:
    """REQUESTS timed GETs of a search page (after WARMUP); what its heading says was found.
    `kept`: the process's kept results may serve it (else forgotten before each request)."""
    durations: list[float] = []
    found = ""
    for index in range(REQUESTS + WARMUP):
        if not kept:
            forget_kept()
        response = browser.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
        if index >= WARMUP:
            durations.append(site.timer.last)
        body = response.get_data(as_text=True)
        start = body.find('<h2 id="resultats">')
        found = body[start + 19 : body.find("</h2>", start)].strip() if start >= 0 else "?"
    return Timings(tuple(durations)), found


def main() -> int:
    """Only this measure: a fresh SQLite file, then PostgreSQL when BENCH_DATABASE_URL is set."""
    with tempfile.TemporaryDirectory(prefix="inventaire-bench-") as tmp:
        urls = [database.fresh_sqlite(Path(tmp))]
        pg_url, why = database.postgres_url()
        if pg_url is not None:
            urls.append(pg_url)
        else:
            progress(f"PostgreSQL skipped ({why})")
        for url in urls:
            label = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
            report = Report(f"{label}: {database.describe(url)}")
            engine = database.fresh_engine(url)
            site = Site(url, Path(tmp) / "pieces")
            try:
                measure(engine, site, report, label)
            finally:
                site.close()
                engine.dispose()
            print(report.render(), flush=True)
            print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
