"""The servers under load, started as in production, and the CPU each part of the test used.

`inventaire serve --workers N` (several processes behind one port) with one `inventaire worker`
beside it, or `inventaire run` (one process, its worker thread inside), on a free loopback port,
configured by the environment. Their output goes to files in the working folder (shown when one
does not start). CPU time comes from /proc: the server's processes and their children, the
worker, this (client) process, and the PostgreSQL backends serving the test's database.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text

HOST = "127.0.0.1"
COMMAND = str(Path(sys.executable).parent / "inventaire")
TICKS = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Servers:
    port: int
    server: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes] | None
    logs: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        return f"http://{HOST}:{self.port}"


def environment(url: str, workdir: Path) -> dict[str, str]:
    return os.environ | {
        "INVENTAIRE_DATABASE_URL": url,
        "INVENTAIRE_SECRET_KEY": "bench",
        "INVENTAIRE_UPLOAD_DIR": str(workdir / "pieces"),
        "INVENTAIRE_BASE_URL": "http://localhost",
        # The figures are the requests', not the cost of a log line each (as the bench's).
        "INVENTAIRE_LOG_LEVEL": os.environ.get("INVENTAIRE_LOG_LEVEL", "WARNING"),
        "PYTHONPATH": str(ROOT),
    }


def start(url: str, workdir: Path, *, processes: int | None) -> Servers:
    """`inventaire serve --workers processes` and a worker, or `inventaire run` (None)."""
    port = free_port()
    env = environment(url, workdir)
    if processes is None:
        command = [COMMAND, "run", "--host", HOST, "--port", str(port)]
    else:
        command = [COMMAND, "serve", "--host", HOST, "--port", str(port)]
        command += ["--workers", str(processes)]
    server_log = workdir / "server.log"
    with server_log.open("wb") as out:
        server = subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=out)
    servers = Servers(port, server, None, [server_log])
    if processes is not None:
        worker_log = workdir / "worker.log"
        with worker_log.open("wb") as out:
            servers.worker = subprocess.Popen(
                [COMMAND, "worker", "--name", "load"], env=env, cwd=workdir, stdout=out, stderr=out
            )
        servers.logs.append(worker_log)
    try:
        _wait_ready(servers)
    except Exception:
        stop(servers)
        raise
    return servers


def _wait_ready(servers: Servers, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in (servers.server, servers.worker):
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{process.args!r} stopped: {tail(servers)}")
        try:
            connection = http.client.HTTPConnection(HOST, servers.port, timeout=5)
            connection.request("GET", "/sante/pret")
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s: {tail(servers)}")


def tail(servers: Servers, lines: int = 15) -> str:
    return " | ".join(
        line
        for log in servers.logs
        for line in log.read_text(errors="replace").splitlines()[-lines:]
    )


def stop(servers: Servers) -> None:
    for process in (servers.server, servers.worker):
        if process is not None and process.poll() is None:
            process.terminate()
    for process in (servers.server, servers.worker):
        if process is None:
            continue
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- CPU ----------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # after "pid (name) "


def process_cpu(pid: int, *, with_waited_children: bool = True) -> float:
    """CPU seconds of the process (user + system), and of its children it waited for."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all its descendants (living or waited for)."""
    return process_cpu(pid) + sum(process_cpu(child) for child in descendants(pid))


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(value) for value in first]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / TICKS


def backend_pids(engine: Engine) -> list[int]:
    """The PostgreSQL server processes connected to the test's database."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        return list(
            connection.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        )


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


@dataclass
class CpuClock:
    """CPU seconds used by each part between `start` and `stop`."""

    servers: Servers
    engine: Engine
    began: dict[str, float] = field(default_factory=dict)
    backends_began: dict[int, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)
    load_at_start: str = ""
    load_at_end: str = ""

    def _now(self) -> dict[str, float]:
        times = os.times()
        now = {
            "server": tree_cpu(self.servers.server.pid),
            "client": times.user + times.system,
            "machine": machine_busy(),
        }
        if self.servers.worker is not None:
            now["worker"] = tree_cpu(self.servers.worker.pid)
        return now

    def _backends(self) -> dict[int, float]:
        return {
            pid: process_cpu(pid, with_waited_children=False) for pid in backend_pids(self.engine)
        }

    def start(self) -> None:
        self.load_at_start = load_average()
        self.backends_began = self._backends()
        self.began = self._now()

    def stop(self) -> None:
        ended = self._now()
        self.load_at_end = load_average()
        self.used = {key: ended[key] - self.began.get(key, 0.0) for key in ended}
        backends = self._backends()
        if backends:
            # A backend that came during the run counts from zero; one gone is not seen.
            self.used["postgresql"] = sum(
                cpu - self.backends_began.get(pid, 0.0) for pid, cpu in backends.items()
            )
