"""The lock of every Python package (requirements/lock.txt): made by uv, checked offline.

    python -m tools.lock compile [--upgrade | --upgrade-package NAME ...]   # make lock
    python -m tools.lock check                                              # make lock-check

`compile` asks uv for exact versions with the hashes of every file of each version (PyPI's
wheels for every platform and the sdist), one universal resolution for Python 3.11 and later:
pins already in the lock are kept unless an upgrade is asked. The lock also holds the build
backend (pyproject's [build-system]) and pip, so the project installs with
`--no-build-isolation` and nothing unpinned is ever installed.

`check` says whether the lock is stale against pyproject.toml, without the network: a digest
of pyproject's dependency tables (parsed, so reformatting them changes nothing) and of the uv
options is written in the lock's header when it is made and compared here, and every
requirement of pyproject must be met by a pin that has hashes. Recomputing with uv and diffing
would need PyPI and could change its answer when a new release comes out; the digest cannot.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements" / "lock.txt"
# Installed beside the project's requirements: its own installer, pinned like the rest.
INSTALLERS = ("pip",)
UV_OPTIONS = ("--universal", "--python-version", "3.11", "--generate-hashes", "--all-extras")
STALE = "the lock is stale: run make lock"
_DIGEST_LINE = "# pyproject-digest: "
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]*?))?\s*\\?$")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass
class Pin:
    version: Version
    marker: str | None
    hashes: int = 0


def requirements(project: dict[str, Any]) -> list[Requirement]:
    """What pyproject asks for: runtime, every extra, the build backend, then the installers."""
    table = project.get("project", {})
    texts = list(table.get("dependencies", []))
    for extra in table.get("optional-dependencies", {}).values():
        texts.extend(extra)
    texts.extend(project.get("build-system", {}).get("requires", []))
    texts.extend(INSTALLERS)
    return [Requirement(text) for text in texts]


def digest(project: dict[str, Any]) -> str:
    """Of the dependency tables as parsed (order and spelling aside) and of the uv options."""
    table = project.get("project", {})

    def normal(texts: list[str]) -> list[str]:
        return sorted(_normal(Requirement(text)) for text in texts)

    content = {
        "requires-python": table.get("requires-python"),
        "dependencies": normal(table.get("dependencies", [])),
        "optional-dependencies": {
            canonicalize_name(extra): normal(texts)
            for extra, texts in table.get("optional-dependencies", {}).items()
        },
        "build-system": normal(project.get("build-system", {}).get("requires", [])),
        "installers": list(INSTALLERS),
        "uv": list(UV_OPTIONS),
    }
    encoded = json.dumps(content, sort_keys=True).encode()
    return "sha256:" + hashlib.sha256(encoded).hexdigest()


def _normal(requirement: Requirement) -> str:
    extras = ",".join(sorted(canonicalize_name(extra) for extra in requirement.extras))
    marker = f";{requirement.marker}" if requirement.marker else ""
    return f"{canonicalize_name(requirement.name)}[{extras}]{requirement.specifier}{marker}"


def pins(lock_text: str) -> dict[str, Pin]:
    """The lock's `name==version` lines (with their marker) and how many hashes each has."""
    found: dict[str, Pin] = {}
    current: Pin | None = None
    for line in lock_text.splitlines():
        match = _PIN.match(line)
        if match:
            current = Pin(Version(match.group(2)), match.group(3) or None)
            found[canonicalize_name(match.group(1))] = current
        elif current is not None and _HASH.search(line):
            current.hashes += 1
    return found


def recorded_digest(lock_text: str) -> str | None:
    for line in lock_text.splitlines():
        if line.startswith(_DIGEST_LINE):
            return line.removeprefix(_DIGEST_LINE).strip()
    return None


def problems(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> list[str]:
    """Why the lock does not match pyproject.toml; empty when it does."""
    if not lock.is_file():
        return [f"{lock.name} is missing"]
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    text = lock.read_text(encoding="utf-8")
    found: list[str] = []
    if recorded_digest(text) != digest(project):
        found.append(f"the dependency tables of {pyproject.name} changed since the lock was made")
    locked = pins(text)
    for requirement in requirements(project):
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        pin = locked.get(canonicalize_name(requirement.name))
        if pin is None:
            found.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            found.append(f"{requirement} is not met by the lock's {pin.version}")
    found.extend(
        f"{name}=={pin.version} has no hash" for name, pin in locked.items() if not pin.hashes
    )
    return found


def compile_lock(upgrade: bool, packages: list[str]) -> None:
    """Run uv (from the same virtualenv) and write the lock with its digest."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    beside = [*project.get("build-system", {}).get("requires", []), *INSTALLERS]
    command = [
        str(Path(sys.executable).with_name("uv")),
        "pip",
        "compile",
        str(PYPROJECT.relative_to(ROOT)),
        "-",  # the build backend and the installers, read from the standard input
        *UV_OPTIONS,
        "--custom-compile-command",
        "make lock",
        "--quiet",
        "--output-file",
        str(LOCK.relative_to(ROOT)),
    ]
    if upgrade:
        command.append("--upgrade")
    for package in packages:
        command.extend(["--upgrade-package", package])
    LOCK.parent.mkdir(exist_ok=True)
    subprocess.run(command, cwd=ROOT, input="\n".join(beside) + "\n", text=True, check=True)
    lines = [
        line
        for line in LOCK.read_text(encoding="utf-8").splitlines()
        if not line.startswith(_DIGEST_LINE)
    ]
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    lines.insert(header, _DIGEST_LINE + digest(project))
    LOCK.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lock", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("compile", help="write requirements/lock.txt with uv")
    make.add_argument("--upgrade", action="store_true", help="upgrade every package")
    make.add_argument("--upgrade-package", action="append", default=[], metavar="NAME")
    check = commands.add_parser("check", help="fail when the lock is stale")
    check.add_argument("--pyproject", type=Path, default=PYPROJECT)
    check.add_argument("--lock", type=Path, default=LOCK)
    arguments = parser.parse_args(argv)
    if arguments.command == "compile":
        compile_lock(arguments.upgrade, arguments.upgrade_package)
        return 0
    found = problems(arguments.pyproject, arguments.lock)
    for problem in found:
        print(f"- {problem}", file=sys.stderr)
    if found:
        print(STALE, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
