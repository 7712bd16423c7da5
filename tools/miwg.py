"""`processes check` over the BPMN MIWG reference suite: how many messages still read English.

    python -m tools.miwg SUITE_DIR [--show N] [--all]

SUITE_DIR is a copy of https://github.com/bpmn-miwg/bpmn-miwg-test-suite (831 diagrams exported
by some 35 modelers); it is not part of this repository. Each `.bpmn` file is made executable
(`isExecutable="true"` on every process) in a throwaway folder and checked as
`inventaire processes check FILE` would, then each message is read for English words left
outside the element's id and the quoted names. The figures printed are the files checked, the
files with at least one message, and the files (and messages) still carrying English.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.definitions.checking import check_path

_EXECUTABLE = re.compile(rb'isExecutable\s*=\s*"[^"]*"')
_PROCESS_TAG = re.compile(rb"<((?:[\w-]+:)?process)(?=[\s>/])")

# Words that show English text, whole words only (case-insensitive). French shares few of them.
_ENGLISH = re.compile(
    r"\b(the|is|are|was|were|not|must|found|required|supported|missing|exactly|only|"
    r"with|without|cannot|could|should|no such|unknown|invalid|error|expected|"
    r"attribute|element|has|have|does|of type|from|which|this|that|there|"
    r"specified|specify|available|object|none|type|codec|decode|byte|valid|value|"
    r"declaration|namespace|matching|global|can't|isn't)\b",
    re.IGNORECASE,
)
# What a message may quote from the diagram (ids, names, values): not ours to translate.
_QUOTED = re.compile(r"«[^»]*»|\"[^\"]*\"|'[^']*'|`[^`]*`")


@dataclass
class SuiteReport:
    files: int = 0
    with_messages: int = 0
    english_files: list[Path] = field(default_factory=list)
    english_messages: Counter[str] = field(default_factory=Counter)
    messages: dict[Path, list[str]] = field(default_factory=dict)


def made_executable(content: bytes) -> bytes:
    """The diagram with every process marked executable."""
    content = _EXECUTABLE.sub(b'isExecutable="true"', content)
    return _PROCESS_TAG.sub(
        lambda match: (
            match.group(0) + b' isExecutable="true"'
            if b"isExecutable" not in content[match.end() : content.find(b">", match.end())]
            else match.group(0)
        ),
        content,
    )


def english_part(message: str) -> str | None:
    """The English left in a message once the element's id and the quoted texts are set aside."""
    _element, _, text = message.partition(": ")
    text = _QUOTED.sub("", text or message)
    if "(détail" in text:  # a message the catalogue does not know, kept as a detail
        return text
    found = _ENGLISH.findall(text)
    return " ".join(found) if len(found) >= 2 else None


def shape(message: str) -> str:
    """A message with its ids, names and numbers blanked, to count messages of one kind."""
    _element, _, text = message.partition(": ")
    text = _QUOTED.sub("«…»", text or message)
    return re.sub(r"\d+", "N", text)[:160]


def diagrams(suite: Path) -> Iterator[Path]:
    yield from sorted(path for path in suite.rglob("*.bpmn") if path.is_file())


def check_suite(paths: Iterable[Path]) -> SuiteReport:
    report = SuiteReport()
    with tempfile.TemporaryDirectory(prefix="miwg-") as work:
        for number, path in enumerate(paths):
            folder = Path(work) / str(number)
            folder.mkdir()
            copy = folder / path.name
            copy.write_bytes(made_executable(path.read_bytes()))
            messages = check_path(copy)
            shutil.rmtree(folder)
            report.files += 1
            report.messages[path] = messages
            if messages:
                report.with_messages += 1
            english = [message for message in messages if english_part(message)]
            if english:
                report.english_files.append(path)
                report.english_messages.update(shape(message) for message in english)
    return report


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("suite", type=Path)
    arguments.add_argument("--show", type=int, default=40, help="kinds of English messages shown")
    arguments.add_argument("--all", action="store_true", help="print every message")
    options = arguments.parse_args(argv)
    report = check_suite(diagrams(options.suite))
    if options.all:
        for path, messages in report.messages.items():
            for message in messages:
                print(f"{path.relative_to(options.suite)}\t{message}")
    for kind, count in report.english_messages.most_common(options.show):
        print(f"{count:5}  {kind}")
    print(
        f"{report.files} diagrammes, {report.with_messages} avec des messages, "
        f"{len(report.english_files)} avec des messages en anglais "
        f"({sum(report.english_messages.values())} messages)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
