"""Figures and the printed table: each figure with its target, "MISSED" when it is not met."""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 200 values is the 190th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Timings:
    """Durations in seconds; shown in milliseconds."""

    values: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.values) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.values, 0.95) * 1000

    @property
    def min_ms(self) -> float:
        return min(self.values) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.values) * 1000

    def short(self) -> str:
        return f"median {self.median_ms:.1f} ms, p95 {self.p95_ms:.1f} ms"

    def spread(self) -> str:
        return (
            f"n={len(self.values)}, min {self.min_ms:.1f} ms, median {self.median_ms:.1f} ms, "
            f"p95 {self.p95_ms:.1f} ms, max {self.max_ms:.1f} ms"
        )


@dataclass
class Line:
    label: str
    value: str
    target: str = ""
    met: bool | None = None  # None: informative figure without a target
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    title: str
    lines: list[Line] = field(default_factory=list)

    def add(
        self, label: str, value: str, target: str = "", met: bool | None = None, *notes: str
    ) -> Line:
        line = Line(label, value, target, met, list(notes))
        self.lines.append(line)
        return line

    def missed(self) -> list[Line]:
        return [line for line in self.lines if line.met is False]

    def render(self) -> str:
        out = [f"== {self.title} =="]
        for line in self.lines:
            text = f"{line.label}: {line.value}"
            if line.target:
                text += f" (target {line.target})"
            if line.met is True:
                text += "  ok"
            elif line.met is False:
                text += "  MISSED"
            out.append(text)
            out.extend(f"      {note}" for note in line.notes)
        return "\n".join(out)


def progress(message: str) -> None:
    """What the bench is doing, on stderr, so stdout keeps only the figures."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
