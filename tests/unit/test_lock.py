"""The lock's staleness check (`make lock-check`, run by CI before lint): a dependency added or
changed in pyproject.toml without `make lock` fails it with the command to run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools.lock import LOCK, PYPROJECT, STALE

ROOT = Path(__file__).resolve().parents[2]


def check(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> subprocess.CompletedProcess[str]:
    """The check as `make lock-check` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "tools.lock", "check", "--pyproject", pyproject, "--lock", lock],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = PYPROJECT.read_text(encoding="utf-8")
    assert old in text
    copy = tmp_path / "pyproject.toml"
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_the_committed_lock_matches_pyproject() -> None:
    result = check()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('"orjson>=3.10",', '"orjson>=3.10",\n    "httpx>=0.27",', "httpx>=0.27 is not in"),
        ('"lxml>=6.1",', '"lxml>=7",', "lxml>=7 is not met by the lock's 6."),
        ('"lxml-stubs",', '"lxml-stubs",\n    "hypothesis",', "hypothesis is not in the lock"),
        ('requires = ["setuptools>=69"]', 'requires = ["setuptools>=999"]', "setuptools>=999"),
        # Still met by the pins, but the lock was not made from this file: stale all the same.
        ('"lxml>=6.1",', '"lxml>=6.0",', "changed since the lock was made"),
    ],
    ids=["new dependency", "range the pin leaves", "new dev dependency", "build backend", "range"],
)
def test_a_pyproject_changed_without_make_lock_fails(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    result = check(edited(tmp_path, old, new))
    assert result.returncode == 1
    assert said in result.stderr
    assert result.stderr.rstrip().endswith(STALE)
    assert STALE == "the lock is stale: run make lock"


def test_reformatting_the_dependencies_is_not_a_change(tmp_path: Path) -> None:
    result = check(edited(tmp_path, '"Flask>=3.1,<3.2",', "'flask <3.2, >= 3.1',"))
    assert result.returncode == 0, result.stderr


def test_a_lock_edited_by_hand_fails(tmp_path: Path) -> None:
    text = LOCK.read_text(encoding="utf-8")
    lock = tmp_path / "lock.txt"
    pinned = next(line for line in text.splitlines() if line.startswith("lxml=="))
    lock.write_text(text.replace(pinned, "lxml==5.3.0 \\"), encoding="utf-8")
    result = check(lock=lock)
    assert result.returncode == 1
    assert "lxml>=6.1 is not met by the lock's 5.3.0" in result.stderr
    unhashed = "\n".join(line for line in text.splitlines() if "--hash=" not in line)
    lock.write_text(unhashed.replace(" \\\n", "\n"), encoding="utf-8")
    assert f"{pinned.split()[0]} has no hash" in check(lock=lock).stderr
