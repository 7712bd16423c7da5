"""The secret key kept in the instance folder when none is given: processes of one machine
starting together (`inventaire serve`'s, a worker beside it) all end up with the same key,
whole, readable by its owner only."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from web.config import with_local_defaults


def _key_of(instance: str, keys: multiprocessing.Queue[str], start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    config: dict[str, object] = {"DATABASE_URL": "sqlite://"}
    with_local_defaults(config, instance)
    keys.put(str(config["SECRET_KEY"]))


def test_processes_starting_together_share_one_whole_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    keys: multiprocessing.Queue[str] = context.Queue()
    start = context.Event()
    processes = [
        context.Process(target=_key_of, args=(str(tmp_path), keys, start)) for _ in range(6)
    ]
    for process in processes:
        process.start()
    start.set()
    found = {keys.get(timeout=60) for _ in processes}
    for process in processes:
        process.join(timeout=60)
    assert len(found) == 1
    [key] = found
    assert len(key) == 64
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no draft left
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
