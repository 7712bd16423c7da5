"""French typography as a reader checks it: the text of a page (its text nodes and the attributes
people read) or of an email, and the faults in it.

The convention (docs/glossary.md, *Typography*): a no-break space U+00A0 before `:` and inside
« »; a narrow no-break space U+202F before `; ? !` and between the thousands of a quantity of
five digits or more (`10 000`); `L. 335-6` with a no-break space after the article's letter;
dates in words or `jj/mm/aaaa`, never `2026-12-04`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from lxml import html as lxml_html

from engine.core.clock import PARIS

NBSP = "\u00a0"
NNBSP = "\u202f"
HIDDEN = "\ufffc"  # stands for what is not ours to check: code, a URL, what a user typed

# Elements whose text is not prose: code, and what users typed into forms.
SKIPPED = {"script", "style", "code", "pre", "kbd", "samp", "textarea", "template"}
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
BUTTON_INPUTS = {"submit", "button", "reset"}

URL = re.compile(r"\b(?:https?|mailto|file)://\S+|\bmailto:\S+")
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Punctuation that a French text spaces: followed by a space, the end or a closing sign.
AFTER = r"(?=[\s)\]»”.,…]|$)"
COLON = re.compile(r":" + AFTER)
HIGH = re.compile(r"[;?!]" + AFTER)
OPENING = re.compile(r"«(.?)")
CLOSING = re.compile(r"(.?)»")
ARTICLE = re.compile(r"\b([LRD])\.(\s?)(?=\d)|\b([LRD])(\d{3,4}-\d)")
# A run of five digits or more standing alone, followed by a word: a quantity (« 35500 résultats »).
QUANTITY = re.compile(r"(?<![\w\-/.,:#\u202f\u00a0])(\d{5,})(?=\s+[a-zà-ÿ])")
SPACED_NUMBER = re.compile(r"(?<![\w\-/.,])\d{1,3}(?:[ \u00a0]\d{3})+(?![\w\-/])")
ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
CONTEXT = 30


@dataclass(frozen=True)
class Fault:
    where: str
    rule: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.where}: {self.rule} in « {self.excerpt} »"


def _excerpt(text: str, start: int, end: int) -> str:
    shown = text[max(0, start - CONTEXT) : end + CONTEXT]
    return shown.replace(NBSP, "⍽").replace(NNBSP, "‿").replace("\n", "⏎").replace(HIDDEN, "▯")


def hide(text: str, hidden: Iterable[str] = ()) -> str:
    """The text with URLs, email addresses and the given strings (what users typed, data
    imported from elsewhere) replaced by a mark that no rule looks at."""
    for value in sorted({value for value in hidden if value and len(value) > 1}, key=len)[::-1]:
        text = text.replace(value, HIDDEN)
    text = URL.sub(HIDDEN, text)
    return EMAIL.sub(HIDDEN, text)


def text_faults(text: str, where: str, hidden: Iterable[str] = ()) -> list[Fault]:
    """The faults of French typography in a text read by a user."""
    text = hide(text, hidden)
    faults: list[Fault] = []

    def fault(rule: str, start: int, end: int) -> None:
        faults.append(Fault(where, rule, _excerpt(text, start, end)))

    for match in COLON.finditer(text):
        start = match.start()
        before = text[start - 1] if start else HIDDEN
        if before in (NBSP, HIDDEN, ":") or (start and text[start - 1] == "\n"):
            continue
        fault(
            "espace ordinaire avant « : »"
            if before.isspace()
            else "pas d'espace insécable avant « : »",
            start,
            start + 1,
        )
    for match in HIGH.finditer(text):
        start = match.start()
        before = text[start - 1] if start else HIDDEN
        if before in (NNBSP, HIDDEN, "?", "!") or before == "\n":
            continue
        sign = match.group()
        fault(
            f"espace ordinaire avant « {sign} »"
            if before.isspace()
            else f"pas d'espace fine insécable avant « {sign} »",
            start,
            start + 1,
        )
    for match in OPENING.finditer(text):
        if match.group(1) not in (NBSP, HIDDEN):
            fault("pas d'espace insécable après « « »", match.start(), match.end())
    for match in CLOSING.finditer(text):
        if match.group(1) not in (NBSP, HIDDEN):
            fault("pas d'espace insécable avant « » »", match.start(), match.end())
    for match in ARTICLE.finditer(text):
        if match.group(4) or match.group(2) != NBSP:
            fault("article de loi sans « L.\u00a0» et espace insécable", match.start(), match.end())
    for match in QUANTITY.finditer(text):
        fault("nombre sans espace fine entre les milliers", match.start(), match.end())
    for match in SPACED_NUMBER.finditer(text):
        if len(match.group().replace(" ", "").replace(NBSP, "")) >= 5:
            fault("milliers séparés par une espace qui n'est pas fine", match.start(), match.end())
    for match in ISO_DATE.finditer(text):
        fault("date au format ISO", match.start(), match.end())
    return faults


def _reading_text(element: lxml_html.HtmlElement) -> str:
    """The element's text as a reader goes through it: skipped elements become a mark."""
    parts: list[str] = []

    def walk(node: lxml_html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in SKIPPED:
            parts.append(HIDDEN)
        else:
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
                if child.tail:
                    parts.append(child.tail)

    walk(element)
    return "".join(parts)


def read_attributes(document: lxml_html.HtmlElement) -> list[str]:
    """The values of the attributes people read (titles, labels for screen readers, placeholders,
    alternatives, the words of input buttons)."""
    values = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        for name in READ_ATTRIBUTES:
            value = element.get(name)
            if value:
                values.append(value)
        if element.tag == "input" and element.get("type") in BUTTON_INPUTS and element.get("value"):
            values.append(element.get("value"))
    return values


def page_faults(body: str, where: str, hidden: Iterable[str] = ()) -> list[Fault]:
    """The typography faults of an HTML page: its visible text and the attributes people read."""
    document = lxml_html.document_fromstring(body)
    hidden = list(hidden)
    faults = text_faults(_reading_text(document), where, hidden)
    for value in read_attributes(document):
        faults += text_faults(value, f"{where} (attribut)", hidden)
    faults += time_faults(document, where)
    return faults


FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def _spellings(day: date) -> set[str]:
    return {
        day.strftime("%d/%m/%Y"),
        f"{day.day}{'er' if day.day == 1 else ''} {FRENCH_MONTHS[day.month - 1]} {day.year}",
    }


def time_faults(document: lxml_html.HtmlElement, where: str) -> list[Fault]:
    """A `<time datetime>` says the moment the reader sees, in Paris time."""
    faults = []
    for element in document.iter("time"):
        value = element.get("datetime") or ""
        shown = " ".join(element.text_content().split())
        try:
            if "T" in value:
                moment = datetime.fromisoformat(value)
                if (
                    moment.tzinfo is None
                    or moment.utcoffset() != moment.astimezone(PARIS).utcoffset()
                ):
                    faults.append(Fault(where, "datetime hors de l'heure de Paris", value))
                day = moment.astimezone(PARIS).date()
            else:
                day = date.fromisoformat(value)
        except ValueError:
            faults.append(Fault(where, "datetime illisible", value))
            continue
        if not any(spelling in shown.replace(NBSP, " ") for spelling in _spellings(day)):
            faults.append(Fault(where, f"datetime {value} ne dit pas la date lue", shown))
    return faults


def email_faults(subject: str, body: str, where: str, hidden: Iterable[str] = ()) -> list[Fault]:
    hidden = list(hidden)
    return text_faults(subject, f"{where} (objet)", hidden) + text_faults(body, where, hidden)
