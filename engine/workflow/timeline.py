"""A dossier's history as its page reads it: which entries a submitter sees, and consecutive
draft saves told as one line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# What a submitter reads of the trail: their own actions, the dossier's steps, its messages,
# the documents generated for them (each with its SHA-256).
PUBLIC_KINDS = frozenset({"creation", "depot", "statut", "fin", "message", "document"})
# Never to a submitter, whoever wrote it: the staff's annotations privées, the avis d'experts,
# the files the antivirus refused (the sender was told at once).
STAFF_ONLY_KINDS = frozenset({"annotation", "avis_expert", "quarantaine"})


def submitter_reads(kind: str, by_submitter: bool) -> bool:
    """Whether a submitter reads an event of the trail (`by_submitter`: one of their
    organisation's people did it)."""
    return kind not in STAFF_ONLY_KINDS and (kind in PUBLIC_KINDS or by_submitter)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str
    summary: str


# Saving a draft and adding its pieces, one after the other: one line of the history.
DRAFT_KINDS = frozenset({"brouillon", "piece"})


def grouped_drafts(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Consecutive draft saves and pieces added by the same person become one entry (newest
    first, as the history reads): « Brouillon enregistré (4 fois) ; pièces ajoutées : … »."""
    result: list[TimelineEntry] = []
    run: list[TimelineEntry] = []

    def flush() -> None:
        if len(run) == 1:
            result.append(run[0])
        elif run:
            result.append(_draft_line(run))
        run.clear()

    for entry in entries:
        if entry.kind in DRAFT_KINDS and (not run or run[0].actor == entry.actor):
            run.append(entry)
            continue
        flush()
        if entry.kind in DRAFT_KINDS:
            run.append(entry)
        else:
            result.append(entry)
    flush()
    return result


def _draft_line(run: list[TimelineEntry]) -> TimelineEntry:
    saves = sum(1 for entry in run if entry.kind == "brouillon")
    pieces = [
        # Events written before the no-break space have an ordinary one.
        entry.summary.removeprefix("Pièce ajoutée\u00a0: ")
        .removeprefix("Pièce ajoutée : ")
        .rstrip(".")
        for entry in reversed(run)
        if entry.kind == "piece"
    ]
    parts = []
    if saves:
        parts.append("Brouillon enregistré" + (f" ({saves} fois)" if saves > 1 else ""))
    if pieces:
        parts.append(
            ("pièces ajoutées\u00a0: " if len(pieces) > 1 else "pièce ajoutée\u00a0: ")
            + ", ".join(pieces)
        )
    text = "\u202f; ".join(parts)
    return TimelineEntry(run[0].at, run[0].actor, "brouillon", text[0].upper() + text[1:] + ".")
