"""A dossier's audit trail as the staff download it: JSON and CSV, with each event's place and
hash in the chains (so an export can be checked against `inventaire audit verify`)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine.core.audit_chain import utc_text
from engine.core.models import AuditEvent

COLUMNS = (
    "id",
    "date",
    "acteur",
    "type",
    "etape",
    "resume",
    "details",
    "position",
    "empreinte",
    "empreinte_precedente_dossier",
)


def rows(session: Session, instance_id: int) -> list[dict[str, Any]]:
    events = session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.instance_id == instance_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        {
            "id": event.id,
            "date": utc_text(event.at),
            "acteur": event.actor.name if event.actor else "Plateforme",
            "type": event.kind,
            "etape": event.task_spec,
            "resume": event.summary,
            "details": event.details,
            "position": event.chain_seq,
            "empreinte": event.hash,
            "empreinte_precedente_dossier": event.prev_dossier_hash,
        }
        for event in events
    ]


def as_json(instance_id: int, found: list[dict[str, Any]]) -> str:
    return json.dumps({"dossier": instance_id, "evenements": found}, ensure_ascii=False, indent=2)


def as_csv(found: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in found:
        writer.writerow(
            {
                **row,
                "details": json.dumps(row["details"], ensure_ascii=False)
                if row["details"] is not None
                else "",
            }
        )
    return out.getvalue()
