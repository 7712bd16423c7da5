"""A catalogue entry: a message of SpiffWorkflow and its French text (engine_messages for the
parser's refusals, run_messages for the errors of a run)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.bpmn.elements import Diagrams, Element, one_line

Facts = Callable[[re.Match[str], Element, Diagrams], dict[str, str]]
Locate = Callable[[re.Match[str], Diagrams], Element | None]


@dataclass(frozen=True)
class Entry:
    """A message of SpiffWorkflow (`pattern`) and its French `text`.

    The text may use `{what}` (the element's kind and name), the pattern's groups (`{0}`…) and
    the `facts` read in the diagram. `locate` finds the element when SpiffWorkflow names none.
    """

    pattern: re.Pattern[str]
    text: str
    locate: Locate | None = None
    facts: Facts | None = None


def entry(pattern: str, text: str, **options: Any) -> Entry:
    return Entry(re.compile(pattern), text, **options)


def english_text(error: BaseException) -> str:
    """SpiffWorkflow's own words on one line (without the notes it appends, nor line breaks
    that names typed in a shape carry)."""
    return one_line(str(error.args[0]) if error.args else str(error))
