"""The messagerie of a dossier (issue 12, §1): its submitters and the staff write to each other
on the dossier's page, with pieces jointes checked like the dossier's pieces; each message tells
the other side by an email with a link, never its text; the lists count what each user has not
read; messages are in the history; a text far too long or a piece that is not what it claims
is refused in French with the text given back; a closed or draft dossier takes no message."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.directory import users_with_role
from engine.core.models import AuditEvent, Email, Message, MessagePiece
from engine.emails.recipients import secretariat_role
from engine.studio.scenario import SAMPLE_PDF, Scenario, load_scenarios
from tests.dossiers import data_of, walk_until
from tests.messagerie import QUESTION, write
from tests.support import Browser, location_id, pdf, text_of
from tests.walk import DEMANDEUR_OF, PROCESSES, RS, Walker, _definitions

NewBrowser = Callable[[], Browser]
SECRETARIAT = "recevabilite@example.org"
CONTACT = "claire.martin@cpne-exemple.fr"  # the favorable scenario's contact address
ANSWER = "Merci : nous l'examinons et revenons vers vous sous huit jours."


def emails_to(session: Session, instance_id: int | None, template: str) -> list[Email]:
    session.rollback()
    return list(
        session.scalars(
            select(Email)
            .where(Email.instance_id == instance_id, Email.template == template)
            .order_by(Email.id)
        )
    )


def messages_of(session: Session, instance_id: int | None) -> int:
    session.rollback()
    return session.scalar(select(func.count()).where(Message.instance_id == instance_id)) or 0


def unread_label(page: TestResponse) -> list[str]:
    return re.findall(r"\d+ messages? non lus?", text_of(page))


def test_the_submitter_and_the_secretariat_write_to_each_other_with_a_piece(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite", organisation="cpne")
    walker.run_jobs()
    dossier = walker.dossier_id
    submitter = walker.demandeur
    page = submitter.get(f"/demandes/{dossier}")
    assert "Messagerie" in text_of(page) and "Aucun message pour le moment." in text_of(page)
    assert f'action="/demandes/{dossier}/messages"' in page.get_data(as_text=True)

    sent = write(submitter, f"/demandes/{dossier}/messages", QUESTION, [pdf("referentiel.pdf")])
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/demandes/{dossier}#messagerie")
    page = text_of(submitter.get(f"/demandes/{dossier}"))
    assert "Message envoyé." in page
    assert QUESTION in page and "referentiel.pdf" in page
    assert "Message envoyé (pièce jointe : referentiel.pdf)." in page  # the history

    # The secretariat is told by email, a link and no text; the lists count it unread.
    walker.run_jobs()
    emails = emails_to(session, dossier, "message_instruction")
    assert sorted(email.recipient for email in emails) == holders(session, "recevabilite")
    [told] = [email for email in emails if email.recipient == SECRETARIAT]
    assert walker.reference in told.subject and "nouveau message du demandeur" in told.subject
    assert f"/instruction/dossiers/{dossier}" in told.body
    assert QUESTION not in told.body and "référentiel" not in told.body
    secretariat = walker.as_user(SECRETARIAT)
    assert unread_label(secretariat.get("/instruction/")) == ["1 message non lu"]
    assert unread_label(secretariat.get("/instruction/dossiers")) == ["1 message non lu"]
    listed = secretariat.get("/instruction/dossiers").get_data(as_text=True)
    assert f'href="/instruction/dossiers/{dossier}#messagerie"' in listed

    # Opening the dossier's page shows it as new, once; its piece downloads as it was sent.
    page = secretariat.get(f"/instruction/dossiers/{dossier}")
    shown = text_of(page)
    assert QUESTION in shown and "Paul Branche (demandeur)" in shown and "Nouveau" in shown
    assert "Messagerie : 1 message, dont 1 nouveau" in shown
    assert "Annotations privées : aucune" in shown
    piece = re.search(r'href="(/pieces-jointes/messages/(\d+))"', page.get_data(as_text=True))
    assert piece
    download = secretariat.get(piece.group(1))
    assert download.status_code == 200 and download.data == SAMPLE_PDF
    session.rollback()
    stored = session.get(MessagePiece, int(piece.group(2)))
    assert stored is not None and stored.sha256 == hashlib.sha256(SAMPLE_PDF).hexdigest()
    assert "Nouveau" not in text_of(secretariat.get(f"/instruction/dossiers/{dossier}"))
    assert unread_label(secretariat.get("/instruction/")) == []
    assert unread_label(secretariat.get("/instruction/dossiers")) == []

    # The answer: the dossier's author and its contact address are told; the submitter reads
    # it from « CNCP », never the agent's name.
    answered = write(secretariat, f"/instruction/dossiers/{dossier}/messages", ANSWER)
    assert answered.status_code == 302
    assert answered.headers["Location"].endswith(f"/instruction/dossiers/{dossier}#messagerie")
    assert unread_label(submitter.get("/demandes/")) == ["1 message non lu"]
    walker.run_jobs()
    letters = emails_to(session, dossier, "message_demandeur")
    assert sorted(email.recipient for email in letters) == sorted([DEMANDEUR_OF["cpne"], CONTACT])
    for email in letters:
        assert f"/demandes/{dossier}" in email.body and ANSWER not in email.body
        assert email.body.startswith("Madame, Monsieur,")
    page = text_of(submitter.get(f"/demandes/{dossier}"))
    assert ANSWER in page and "Rose Recevabilité" not in page and "CNCP" in page
    assert "Messagerie : 2 messages, dont 1 nouveau" in page
    assert unread_label(submitter.get("/demandes/")) == []

    # Both messages are in the trail; nothing offers to change or delete them.
    session.rollback()
    kinds = session.scalars(
        select(AuditEvent.kind).where(
            AuditEvent.instance_id == dossier, AuditEvent.kind == "message"
        )
    ).all()
    assert len(kinds) == 2
    for browser, url in ((secretariat, "/instruction/dossiers"), (submitter, "/demandes")):
        section = messagerie_section(browser.get(f"{url}/{dossier}"))
        assert "Modifier" not in section and "Supprimer" not in section
        assert section.count("<form") == 1  # the new message's, nothing else


def messagerie_section(page: TestResponse) -> str:
    body = page.get_data(as_text=True)
    start = body.index('<section id="messagerie"')
    return body[start : body.index("</section>", start)]


# --- who a submitter's message goes to --------------------------------------------------------


def holders(session: Session, role: str) -> list[str]:
    """The addresses of the role's active holders (the demo's, and those other tests add)."""
    session.rollback()
    return sorted(user.email for user in users_with_role(session, role))


def told_by_next_message(walker: Walker, session: Session) -> list[str]:
    """Who the agents' email of a new message from the submitter goes to."""
    walker.run_jobs()
    before = {email.id for email in emails_to(session, walker.dossier_id, "message_instruction")}
    url = f"/demandes/{walker.dossier_id}/messages"
    assert write(walker.demandeur, url, QUESTION).status_code == 302
    walker.run_jobs()
    return sorted(
        email.recipient
        for email in emails_to(session, walker.dossier_id, "message_instruction")
        if email.id not in before
    )


def test_a_submitters_message_goes_to_the_agents_who_hold_the_dossier_else_their_team(
    browser_factory: NewBrowser, session: Session
) -> None:
    # The designated rapporteur holds the instruction: they alone are told, not the other one.
    walker = walk_until(browser_factory, "instruire_demande")
    assert told_by_next_message(walker, session) == ["rapporteur@example.org"]

    # An RS request at its recevabilité, which nobody has taken: every agent who may take it
    # (France compétences' services).
    rs = Walker(browser_factory, "certificateur", RS)
    scenario = {s.name: s for s in rs_scenarios()}["favorable"]
    rs.step(scenario.steps[0].task, scenario.steps[0].data)
    assert told_by_next_message(rs, session) == holders(session, "rapporteur")

    # Taken by one of them: that one only.
    services = rs.as_user("rapporteur2@example.org")
    inbox = services.get("/instruction/").get_data(as_text=True)
    item = re.search(rf'href="/instruction/taches/(\d+)">{re.escape(rs.reference or "")}<', inbox)
    assert item
    url = f"/instruction/taches/{item.group(1)}"
    assert services.post(f"{url}/prendre", from_page=url).status_code == 302
    assert told_by_next_message(rs, session) == ["rapporteur2@example.org"]


def test_a_message_while_the_dossier_waits_for_the_submitter_goes_to_the_secretariat(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "rappel_complements", scenario="classee_sans_suite")
    assert "Compléter la demande" in text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert told_by_next_message(walker, session) == holders(session, "recevabilite")


def test_each_process_names_its_secretariat() -> None:
    roles = {name: secretariat_role(definition) for name, definition in _definitions.items()}
    assert roles == {
        "recensement": "recevabilite",
        "retrait": "recevabilite",
        "enregistrement-rs": "rapporteur",  # France compétences' services
        "retrait-rs": "rapporteur",
    }


def rs_scenarios() -> list[Scenario]:
    return load_scenarios(PROCESSES / "enregistrement-rs")


# --- bad input ----------------------------------------------------------------------------------


def stored_files(upload_dir: Path) -> int:
    return sum(1 for path in upload_dir.rglob("*") if path.is_file())


def test_a_text_far_too_long_or_a_false_piece_is_refused_in_french_with_the_text_kept(
    browser_factory: NewBrowser, session: Session, upload_dir: Path
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    walker.run_jobs()  # the acknowledgement of the dépôt is kept before the count
    url = f"/demandes/{walker.dossier_id}/messages"
    files = stored_files(upload_dir)

    # A megabyte of text: read whole, refused with its count, given back in the field.
    huge = "Un texte très long. " * 52_429  # 1 048 580 characters
    refused = write(walker.demandeur, url, huge)
    assert refused.status_code == 422
    shown = text_of(refused)
    assert "Votre message n'a pas été envoyé" in shown
    assert "Votre texte compte 1\u202f048\u202f579 caractères, pour 10\u202f000 au plus" in (
        refused.get_data(as_text=True)
    )
    assert huge.strip() in refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)

    # Just past the limit, and empty.
    refused = write(walker.demandeur, url, "x" * 10_001)
    assert refused.status_code == 422 and "x" * 10_001 in refused.get_data(as_text=True)
    refused = write(walker.demandeur, url, "   \r\n ")
    assert refused.status_code == 422 and "Écrivez votre message." in text_of(refused)

    # A piece that is not what its name says, and too many pieces: the text is kept, the
    # other (good) piece is not stored either.
    fake = (io.BytesIO(b"Ceci n'est pas un PDF."), "releve.pdf")
    refused = write(walker.demandeur, url, QUESTION, [pdf("bon.pdf"), fake])
    assert refused.status_code == 422
    assert "Le fichier « releve.pdf » n'est pas un document PDF, ODT ou DOCX valide." in text_of(
        refused
    )
    assert QUESTION in text_of(refused)
    refused = write(walker.demandeur, url, QUESTION, [pdf(f"p{n}.pdf") for n in range(6)])
    assert refused.status_code == 422 and "Joignez 5 fichiers au plus" in text_of(refused)
    assert messages_of(session, walker.dossier_id) == 0
    assert stored_files(upload_dir) == files
    walker.run_jobs()
    assert emails_to(session, walker.dossier_id, "message_instruction") == []

    # A text of exactly the limit, with five pieces, goes.
    assert (
        write(walker.demandeur, url, "é" * 10_000, [pdf(f"p{n}.pdf") for n in range(5)]).status_code
        == 302
    )
    assert messages_of(session, walker.dossier_id) == 1
    assert stored_files(upload_dir) == files + 5


# --- closed and draft dossiers ---------------------------------------------------------------


def test_a_closed_dossier_keeps_its_messages_readable_and_takes_no_new_one(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite", scenario="irrecevable")
    dossier = walker.dossier_id
    assert write(walker.demandeur, f"/demandes/{dossier}/messages", QUESTION).status_code == 302
    walker.step("examiner_recevabilite", data_of("irrecevable", "examiner_recevabilite"))

    page = walker.demandeur.get(f"/demandes/{dossier}")
    assert QUESTION in text_of(page)
    assert "Ce dossier est clos (Irrecevable) : sa messagerie ne reçoit plus de messages." in (
        text_of(page)
    )
    assert f'action="/demandes/{dossier}/messages"' not in page.get_data(as_text=True)
    refused = write(walker.demandeur, f"/demandes/{dossier}/messages", "Et pourtant…")
    assert refused.status_code == 409 and "Ce dossier est clos" in text_of(refused)

    secretariat = walker.as_user(SECRETARIAT)
    staff_page = secretariat.get(f"/instruction/dossiers/{dossier}").get_data(as_text=True)
    assert f'action="/instruction/dossiers/{dossier}/messages"' not in staff_page
    assert (
        write(secretariat, f"/instruction/dossiers/{dossier}/messages", ANSWER).status_code == 409
    )
    assert messages_of(session, dossier) == 1
    # The staff may still annotate it (a recours, a new request to come).
    assert f'action="/instruction/dossiers/{dossier}/annotations"' in staff_page
    noted = write(secretariat, f"/instruction/dossiers/{dossier}/annotations", "Recours probable.")
    assert noted.status_code == 302


def test_a_draft_has_no_messagerie_until_it_is_filed(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = Walker(browser_factory, "ministere")
    created = walker.demandeur.post(
        "/demandes/nouvelle", {"processus": "recensement"}, from_page="/demandes/"
    )
    dossier = location_id(created, r"/demandes/(\d+)/saisie")
    page = walker.demandeur.get(f"/demandes/{dossier}")
    assert "La messagerie s'ouvre au dépôt de la demande." in text_of(page)
    assert write(walker.demandeur, f"/demandes/{dossier}/messages", QUESTION).status_code == 409
    secretariat = walker.as_user(SECRETARIAT)
    assert (
        write(secretariat, f"/instruction/dossiers/{dossier}/messages", ANSWER).status_code == 409
    )
    assert (
        write(secretariat, f"/instruction/dossiers/{dossier}/annotations", "x").status_code == 409
    )
    assert messages_of(session, dossier) == 0
