"""`inventaire audit verify`: the chains and the seals recomputed, the first break named."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.audit_chain import content_digest, dossier_of, header_of
from engine.core.audit_seal import valid
from engine.core.models import AuditEvent, AuditSeal


@dataclass(frozen=True)
class Break:
    """The first event where the trail no longer matches its chains."""

    event_id: int | None
    dossier: int | None
    seq: int
    what: str

    def sentence(self) -> str:
        where = f"événement n° {self.event_id}" if self.event_id else f"position {self.seq}"
        dossier = f", dossier n° {self.dossier}" if self.dossier else ""
        return f"{where} (position {self.seq}{dossier})\u00a0: {self.what}"


@dataclass
class Report:
    linked: int = 0
    pending: int = 0
    seals: int = 0
    seals_unchecked: bool = False
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify(session: Session, key: str) -> Report:
    report = Report()
    hashes: dict[int, str] = {}  # seq -> hash, for the seals (64 bytes an event)
    dossier_heads: dict[int, str] = {}
    prev: str | None = None
    expected = 1
    query = (
        select(AuditEvent)
        .where(AuditEvent.chain_seq.is_not(None))
        .order_by(AuditEvent.chain_seq)
        .execution_options(yield_per=1000)
    )
    found: Break | None = None
    events = session.scalars(query)
    try:
        for event in events:
            found = _check(event, expected, prev, dossier_heads)
            if found is not None:
                break
            assert event.chain_seq is not None and event.hash is not None
            hashes[event.chain_seq] = event.hash
            dossier = dossier_of(event)
            if dossier is not None:
                dossier_heads[dossier] = event.hash
            prev = event.hash
            expected += 1
            report.linked += 1
    finally:
        events.close()  # PostgreSQL's server-side cursor, left early at a break
    if found is not None:
        report.breaks.append(found)
        return report
    report.pending = (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.chain_seq.is_(None))
        )
        or 0
    )
    _check_seals(session, key, hashes, report)
    return report


def _check(
    event: AuditEvent, expected: int, prev: str | None, heads: dict[int, str]
) -> Break | None:
    seq = event.chain_seq or 0
    dossier = dossier_of(event)
    if seq != expected:
        return Break(
            event.id, dossier, seq, f"l'événement de la position {expected} a été supprimé"
        )
    if event.prev_hash != prev:
        return Break(
            event.id, dossier, seq, "l'empreinte précédente ne correspond pas (chaîne globale)"
        )
    if event.redacted_at is None and event.content_sha256 != content_digest(
        event.summary, event.details
    ):
        return Break(event.id, dossier, seq, "son contenu (résumé ou détails) a été modifié")
    expected_dossier = heads.get(dossier) if dossier is not None else None
    if event.prev_dossier_hash != expected_dossier:
        return Break(
            event.id,
            dossier,
            seq,
            "un événement du dossier avant lui a été supprimé ou déplacé (chaîne du dossier)",
        )
    if header_of(event).hash() != event.hash:
        return Break(
            event.id, dossier, seq, "son en-tête (date, auteur, type, dossier) a été modifié"
        )
    return None


def _check_seals(session: Session, key: str, hashes: dict[int, str], report: Report) -> None:
    for row in session.scalars(select(AuditSeal).order_by(AuditSeal.id)):
        report.seals += 1
        if row.chain_seq > 0 and hashes.get(row.chain_seq) != row.hash:
            report.breaks.append(
                Break(
                    None,
                    None,
                    row.chain_seq,
                    f"le sceau n° {row.id} du {row.at:%d/%m/%Y} ne correspond plus à la chaîne "
                    "(événements supprimés ou réécrits)",
                )
            )
            return
        if not key:
            report.seals_unchecked = True
        elif not valid(key, row):
            report.breaks.append(
                Break(None, None, row.chain_seq, f"la signature du sceau n° {row.id} est fausse")
            )
            return
