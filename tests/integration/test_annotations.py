"""Annotations privées (issue 12, §1): the staff's notes on a dossier, with pieces jointes, read by
the staff and the commission, never by its submitters: not on their pages, not in their
history, not among their pieces, not by guessing an address, not in any email."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import AuditEvent, Document, Email
from engine.studio.scenario import SAMPLE_PDF
from tests.dossiers import walk_until
from tests.messagerie import QUESTION, write
from tests.support import Browser, pdf, text_of

NewBrowser = Callable[[], Browser]
NOTE = "Le président du jury dirige aussi le certificateur, à vérifier avant la séance."
NOTE_PIECE = "avis-interne.pdf"
STAFF = (
    "recevabilite@example.org",
    "rapporteur@example.org",
    "commission@example.org",
    "directeur.general@example.org",
    "admin@example.org",
    "proprietaire@example.org",
)


def test_an_annotation_is_read_by_the_staff_and_never_reaches_the_submitter(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite", organisation="cpne")
    dossier = walker.dossier_id
    walker.run_jobs()
    session.rollback()
    emails_before = set(session.scalars(select(Email.id).where(Email.instance_id == dossier)))
    pieces = session.scalar(select(func.count()).where(Document.instance_id == dossier))

    rapporteur = walker.as_user("rapporteur@example.org")
    url = f"/instruction/dossiers/{dossier}/annotations"
    assert f'action="{url}"' in rapporteur.get(url.removesuffix("/annotations")).get_data(
        as_text=True
    )
    noted = write(rapporteur, url, NOTE, [pdf(NOTE_PIECE)])
    assert noted.status_code == 302
    assert noted.headers["Location"].endswith(f"/instruction/dossiers/{dossier}#annotations")

    # Every member of the staff reads it, its piece and its line in the history.
    for email in STAFF:
        page = walker.as_user(email).get(f"/instruction/dossiers/{dossier}")
        shown = text_of(page)
        assert "Annotations privées" in shown and NOTE in shown and NOTE_PIECE in shown, email
        assert "Rémi Rapporteur" in shown
        assert f"Annotation privée ajoutée (pièce jointe : {NOTE_PIECE})." in shown
    body = walker.as_user("commission@example.org").last
    assert body is not None
    found = re.search(r'href="(/pieces-jointes/annotations/(\d+))"', body.get_data(as_text=True))
    assert found
    download = walker.as_user("commission@example.org").get(found.group(1))
    assert download.status_code == 200 and download.data == SAMPLE_PDF

    # The submitter: nothing on their pages, and every address they could try is a 404.
    submitter = walker.demandeur
    for page in (submitter.get(f"/demandes/{dossier}"), submitter.get("/demandes/")):
        shown = text_of(page)
        assert NOTE not in shown and NOTE_PIECE not in shown
        assert "nnotation" not in shown and found.group(1) not in page.get_data(as_text=True)
    piece_id = found.group(2)
    for address in (found.group(1), f"/pieces-jointes/messages/{piece_id}"):
        assert submitter.get(address).status_code == 404, address
    # Not a piece of the dossier either: the pieces its submitter lists and downloads.
    session.rollback()
    assert session.scalar(select(func.count()).where(Document.instance_id == dossier)) == pieces
    assert submitter.get(f"/instruction/dossiers/{dossier}").status_code == 403
    assert write(submitter, url, "Puis-je lire les notes ?").status_code == 403

    # Nobody is emailed about it, and no email of the dossier says a word of it, even after
    # the dossier moves on and a message is exchanged.
    assert write(submitter, f"/demandes/{dossier}/messages", QUESTION).status_code == 302
    secretariat = walker.as_user("recevabilite@example.org")
    reply = write(secretariat, f"/instruction/dossiers/{dossier}/messages", "Bien reçu.")
    assert reply.status_code == 302
    walker.run_jobs()
    session.rollback()
    emails = session.scalars(select(Email).where(Email.instance_id == dossier)).all()
    new = [email for email in emails if email.id not in emails_before]
    # The author and the contact address are told of the answer; the agents of the question.
    assert {email.template for email in new} == {"message_demandeur", "message_instruction"}
    assert sum(email.template == "message_demandeur" for email in new) == 2
    for email in emails:
        assert NOTE not in email.body and NOTE_PIECE not in email.body
        assert "nnotation" not in email.body
    kinds = session.scalars(
        select(AuditEvent.kind).where(
            AuditEvent.instance_id == dossier, AuditEvent.kind == "annotation"
        )
    ).all()
    assert kinds == ["annotation"]


def test_another_organisations_submitter_reads_and_writes_nothing_of_the_dossier(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite", organisation="cpne")
    dossier = walker.dossier_id
    sent = write(walker.demandeur, f"/demandes/{dossier}/messages", QUESTION, [pdf("a.pdf")])
    assert sent.status_code == 302
    page = walker.demandeur.get(f"/demandes/{dossier}").get_data(as_text=True)
    found = re.search(r'href="(/pieces-jointes/messages/\d+)"', page)
    assert found

    other = walker.as_user("demandeur@example.org")  # the Ministère's submitter
    assert other.get(f"/demandes/{dossier}").status_code == 404
    assert other.get(found.group(1)).status_code == 404
    refused = write(other, f"/demandes/{dossier}/messages", "Je m'invite.")
    assert refused.status_code == 404
    assert "Je m'invite" not in text_of(walker.demandeur.get(f"/demandes/{dossier}"))
    assert text_of(other.get("/demandes/")).count("message non lu") == 0
    # Positive control: the dossier's own submitter downloads it.
    assert walker.demandeur.get(found.group(1)).status_code == 200
