"""The bench's load test (bench/load.py) end to end, small and short: its own SQLite database
prepared as the bench prepares it, `inventaire run` started as a process of its own, a few
virtual users (reviewers completing copied dossiers, a submitter filing, the public searching)
for a few seconds, then the checks. No error was answered, what the users were told was done
is in the database once, every dossier the mix changed is consistent, the audit trail verifies,
and no job or email was lost or doubled. Timings are printed by the bench, never asserted."""

from __future__ import annotations

from pathlib import Path

from bench import database
from bench.load import Options, measure


def test_the_load_mix_leaves_no_error_and_every_dossier_consistent(tmp_path: Path) -> None:
    options = Options(
        duration=4.0, warmup=1.0, users=4, dossiers=60, register=200, postgresql=False
    )
    url = database.fresh_sqlite(tmp_path)

    outcome = measure("sqlite", url, options, tmp_path)

    assert outcome.mix.first_errors == []
    assert outcome.errors == 0
    assert outcome.checked.problems == []
    done = outcome.mix.done
    assert done["completions"] > 0, "no reviewer completed a task"
    assert done["filed"] + done["complements answered"] > 0, "the submitter did nothing"
    assert outcome.mix.latencies["register search"], "the public searched nothing"
    assert outcome.checked.dossiers >= done["completions"]
