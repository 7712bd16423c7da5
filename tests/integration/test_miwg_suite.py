"""The BPMN MIWG reference suite (831 diagrams from some 35 modelers), made executable and
checked as `inventaire processes check` does: no message may still read English.

The suite is not part of this repository: set MIWG_SUITE to a copy of
https://github.com/bpmn-miwg/bpmn-miwg-test-suite to run this test (about 10 s).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.miwg import check_suite, diagrams

SUITE = Path(os.environ.get("MIWG_SUITE", "/nonexistent"))


@pytest.mark.skipif(not SUITE.is_dir(), reason="MIWG_SUITE is not set to a copy of the suite")
def test_no_message_on_the_miwg_suite_reads_english() -> None:
    report = check_suite(diagrams(SUITE))

    assert report.files >= 800
    assert report.english_files == [], report.english_messages.most_common(10)
