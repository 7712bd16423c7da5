"""Delivering an email job: to the outbox table, or through SMTP when a server is configured.

Each email is sent once per idempotency key:
- outbox: the `email` row is written in the job's transaction, so a worker that dies before
  committing leaves nothing, and the retry writes it once;
- SMTP: the intent (`sending`) is committed before the SMTP call. A retry that finds it cannot
  know whether the server got the message: it marks it *uncertain* and does not send it again
  (at most once; the admin sees it). The Message-ID derives from the key, so a receiving
  server that deduplicates sees the same message.
"""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import select

from engine.core import audit
from engine.core.actor import SYSTEM
from engine.core.clock import utcnow
from engine.core.errors import ExecutionError
from engine.core.models import Email, EmailStatus
from engine.core.settings import SmtpSettings
from engine.jobs.api import JobRun


def deliver(run: JobRun) -> str:
    session, job = run.session, run.job
    payload = job.payload or {}
    key = job.idempotency_key or f"job:{job.id}"
    existing = session.scalar(select(Email).where(Email.idempotency_key == key))
    if existing is not None and existing.status in (EmailStatus.OUTBOX, EmailStatus.SENT):
        return "Courriel déjà envoyé\u00a0: rien à refaire."
    if existing is not None:
        # A worker died during the SMTP call: whether it left is unknown, so it stays unsent.
        existing.status = EmailStatus.UNCERTAIN
        audit.record(
            session,
            existing.instance_id,
            SYSTEM,
            "courriel",
            f"Envoi du courriel «\u00a0{existing.subject}\u00a0» à {existing.recipient} "
            "interrompu\u00a0: "
            "il n'est pas renvoyé automatiquement.",
        )
        return "Envoi interrompu lors d'une tentative précédente\u00a0: non renvoyé (incertain)."
    email = Email(
        idempotency_key=key,
        instance_id=job.instance_id,
        template=str(payload.get("template", "")),
        recipient=str(payload.get("to", "")),
        subject=str(payload.get("subject", "")),
        body=str(payload.get("body", "")),
        status=EmailStatus.OUTBOX if run.smtp is None else EmailStatus.SENDING,
        created_at=utcnow(),
    )
    session.add(email)
    if run.smtp is not None:
        run.commit_intent()
        try:
            _send(run.smtp, email, key)
        except (smtplib.SMTPException, OSError) as error:
            # The server refused or could not be reached: not sent, so the retry may send it.
            session.delete(email)
            run.commit_intent()
            raise ExecutionError(
                f"Envoi refusé par le serveur SMTP {run.smtp.host}:{run.smtp.port} ou serveur "
                f"injoignable ({type(error).__name__}\u00a0: {error})."
            ) from error
        email.status = EmailStatus.SENT
        email.sent_at = utcnow()
    where = "envoyé" if run.smtp is not None else "déposé dans la boîte d'envoi"
    audit.record(
        session,
        job.instance_id,
        SYSTEM,
        "courriel",
        f"Courriel «\u00a0{email.subject}\u00a0» {where} pour {email.recipient}.",
    )
    return f"Courriel {where}."


def _send(settings: SmtpSettings, email: Email, key: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@inventaire>"
    message.set_content(email.body)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as client:
        if settings.starttls:
            client.starttls()
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.send_message(message)
