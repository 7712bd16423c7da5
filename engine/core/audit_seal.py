"""Seals: the global chain's head signed with the operator's key (INVENTAIRE_AUDIT_SEAL_KEY).

A seal is HMAC-SHA256(key, "inventaire-audit-sceau-v1|<seq>|<hash>|<moment>") in hex, kept
in `audit_seal` and written to the log. Whoever rewrites the trail and recomputes every hash
after the change cannot sign the new head without the key, and the old seals no longer match.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.audit_chain import head, link_pending, utc_text
from engine.core.clock import utcnow
from engine.core.models import AuditSeal

log = logging.getLogger("inventaire.audit")


def signature(key: str, seq: int, hash_: str | None, at: datetime) -> str:
    message = f"inventaire-audit-sceau-v1|{seq}|{hash_ or ''}|{utc_text(at)}"
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def seal(session: Session, key: str) -> AuditSeal:
    """Link what waits, then sign the head; the caller commits."""
    if not key:
        raise ValueError("INVENTAIRE_AUDIT_SEAL_KEY n'est pas définie.")
    link_pending(session)
    current = head(session)
    at = utcnow()
    row = AuditSeal(
        at=at,
        chain_seq=current.seq,
        hash=current.hash,
        signature=signature(key, current.seq, current.hash, at),
    )
    session.add(row)
    session.flush()
    log.info(
        "Sceau du journal d'audit n° %s : événement %s, empreinte %s, signature %s",
        row.id,
        current.seq,
        current.hash or "-",
        row.signature,
    )
    return row


def last_seal(session: Session) -> AuditSeal | None:
    return session.scalars(select(AuditSeal).order_by(AuditSeal.id.desc()).limit(1)).first()


def valid(key: str, row: AuditSeal) -> bool:
    return hmac.compare_digest(signature(key, row.chain_seq, row.hash, row.at), row.signature)
