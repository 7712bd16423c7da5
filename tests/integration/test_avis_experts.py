"""Avis d'experts (issue 12, §1): the rapporteur invites an outside expert by email; the link
opens that dossier alone, read-only, and the opinion form; the opinion, with its piece, is read
by the staff and the commission, never by the submitter (pages, history, récapitulatif, ZIP,
emails); the expert reaches no other dossier, no staff page, no other piece; a given opinion is
never changed."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import (
    AuditEvent,
    AvisExpertPiece,
    Document,
    Email,
    InvitationExpert,
    Job,
    JobStatus,
)
from engine.studio.scenario import SAMPLE_PDF
from tests.documents import pdf_text
from tests.dossiers import walk_until
from tests.experts import (
    ASKED,
    EXPERT,
    EXPERT_EMAIL,
    OPINION,
    emails_to,
    in_days,
    invite,
    link_path,
)
from tests.messagerie import QUESTION, write
from tests.support import Browser, pdf, text_of

NewBrowser = Callable[[], Browser]
RAPPORTEUR = "rapporteur@example.org"
SECRETARIAT = "recevabilite@example.org"
COMMISSION = "commission@example.org"
NOTE = "Le président du jury dirige aussi le certificateur, à vérifier."
OPINION_PIECE = "rapport-expert.pdf"


def test_the_rapporteur_invites_an_expert_whose_opinion_only_the_staff_read(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    dossier = walker.dossier_id
    # What the expert must never read: a message, an annotation privée.
    assert write(walker.demandeur, f"/demandes/{dossier}/messages", QUESTION).status_code == 302
    rapporteur = walker.as_user(RAPPORTEUR)
    noted = write(rapporteur, f"/instruction/dossiers/{dossier}/annotations", NOTE)
    assert noted.status_code == 302

    page = rapporteur.get(f"/instruction/dossiers/{dossier}")
    assert "Aucun expert n'a été sollicité." in text_of(page)
    assert f'action="/instruction/dossiers/{dossier}/avis-experts"' in page.get_data(as_text=True)
    invited = invite(rapporteur, dossier)
    assert invited.status_code == 302, text_of(invited)
    assert invited.headers["Location"].endswith(f"/instruction/dossiers/{dossier}#avis-experts")
    shown = text_of(rapporteur.get(f"/instruction/dossiers/{dossier}"))
    assert f"Invitation envoyée à {EXPERT} ({EXPERT_EMAIL})" in shown
    assert "Envoyée" in shown and ASKED in shown

    # The email: a link with a token, never the dossier's content; only its hash is kept.
    walker.run_jobs()
    [email] = emails_to(session, EXPERT_EMAIL, "avis_expert_invitation")
    assert walker.reference in email.subject and ASKED in email.body
    assert QUESTION not in email.body and NOTE not in email.body
    path = link_path(email)
    token = path.rsplit("/", 1)[1]
    invitation = session.scalars(select(InvitationExpert)).one()
    assert token not in {invitation.token_hash, invitation.nonce}
    assert invitation.status == "envoyee"

    # The expert, with no account: the link opens the dossier as its submitter filed it.
    expert = browser_factory()
    opened = expert.get(path)
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/avis-expert/")
    page = expert.get("/avis-expert/")
    shown = text_of(page)
    assert page.status_code == 200
    assert walker.reference in shown and "Votre avis est attendu au plus tard le" in shown
    assert "Ce qui a été déposé" in shown and ASKED in shown
    assert QUESTION not in shown and NOTE not in shown and "Messagerie" not in shown
    pieces = re.findall(r'href="/avis-expert/pieces/(\d+)"', page.get_data(as_text=True))
    assert pieces, "the filed pieces are listed"
    download = expert.get(f"/avis-expert/pieces/{pieces[0]}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")

    # Nothing else opens to the expert: no staff page, no ordinary piece address, no piece of
    # another dossier, no message's piece.
    other = walk_until(browser_factory, "instruire_demande", organisation="ministere")
    session.rollback()
    other_pieces = session.scalars(
        select(Document.id).where(Document.instance_id == other.dossier_id)
    ).all()
    assert other_pieces
    for address in (
        f"/instruction/dossiers/{dossier}",
        f"/instruction/dossiers/{other.dossier_id}",
        "/instruction/",
        "/instruction/dossiers",
        f"/demandes/{dossier}",
        f"/pieces/{pieces[0]}",
        f"/pieces/dossiers/{dossier}.zip",
        f"/pieces/dossiers/{dossier}/recapitulatif.pdf",
        "/admin/",
    ):
        response = expert.get(address)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], address
    for piece_id in other_pieces:
        assert expert.get(f"/avis-expert/pieces/{piece_id}").status_code == 404
    assert expert.get("/avis-expert/pieces/999999").status_code == 404

    # The opinion, with a PDF: given once.
    given = expert.post(
        "/avis-expert/",
        {"texte": OPINION, "pieces": [pdf(OPINION_PIECE)]},
        content_type="multipart/form-data",
    )
    assert given.status_code == 303, text_of(given)
    shown = text_of(expert.get("/avis-expert/"))
    assert "Votre avis a été transmis." in shown and "Votre avis a été rendu" in shown
    assert OPINION in shown and OPINION_PIECE in shown
    assert "Ce qui a été déposé" not in shown  # the dossier is closed to them now
    assert expert.get(f"/avis-expert/pieces/{pieces[0]}").status_code == 404
    again = expert.post(
        "/avis-expert/",
        {"texte": "Finalement, non."},
        from_page="/connexion",
        content_type="multipart/form-data",
    )
    assert again.status_code == 303
    shown = text_of(expert.get("/avis-expert/"))
    assert "Votre avis a déjà été rendu : il ne peut plus être modifié." in shown.replace(
        "\u00a0", " "
    )
    assert "Finalement" not in shown
    # The link, opened again, says so too.
    assert expert.get(path).status_code == 303
    assert "Votre avis a été rendu" in text_of(expert.get("/avis-expert/"))
    session.rollback()
    invitation = session.scalars(select(InvitationExpert)).one()
    assert invitation.status == "rendue" and invitation.avis == OPINION
    assert session.scalar(select(func.count()).select_from(AvisExpertPiece)) == 1

    # The inviter is told, with a link and not the opinion.
    walker.run_jobs()
    [told] = emails_to(session, RAPPORTEUR, "avis_expert_rendu")
    assert OPINION not in told.body and f"/instruction/dossiers/{dossier}#avis-experts" in told.body

    # The staff and the commission read it and download its piece.
    for reader in (RAPPORTEUR, SECRETARIAT, COMMISSION):
        page = walker.as_user(reader).get(f"/instruction/dossiers/{dossier}")
        shown = text_of(page)
        assert "Avis d'experts" in shown and OPINION in shown and "Rendue" in shown, reader
        found = re.search(r'href="(/pieces-jointes/avis-experts/\d+)"', page.get_data(as_text=True))
        assert found
        assert walker.as_user(reader).get(found.group(1)).data == SAMPLE_PDF
    opinion_piece = found.group(1)

    # The submitter: nothing on their pages, in their history, their ZIP, their summary, their
    # emails; the opinion's piece is a 404.
    submitter = walker.demandeur
    for page in (submitter.get(f"/demandes/{dossier}"), submitter.get("/demandes/")):
        shown = text_of(page)
        assert OPINION not in shown and OPINION_PIECE not in shown and EXPERT not in shown
        assert "xpert" not in shown
    assert submitter.get(opinion_piece).status_code == 404
    archive = submitter.get(f"/pieces/dossiers/{dossier}.zip")
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert names and all(OPINION_PIECE not in name for name in names)
    summary = submitter.get(f"/pieces/dossiers/{dossier}/recapitulatif.pdf")
    text = pdf_text(summary.data)
    assert "xpert" not in text and OPINION[:30] not in text
    session.rollback()
    for sent in session.scalars(select(Email).where(Email.instance_id == dossier)):
        if sent.recipient not in (EXPERT_EMAIL, RAPPORTEUR):
            assert OPINION not in sent.body and EXPERT not in sent.body, sent.template
    kinds = session.scalars(
        select(AuditEvent.summary).where(
            AuditEvent.instance_id == dossier, AuditEvent.kind == "avis_expert"
        )
    ).all()
    assert len(kinds) == 2  # sollicité, rendu


def test_revocation_kills_the_link_at_once_and_its_jobs(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    dossier = walker.dossier_id
    rapporteur = walker.as_user(RAPPORTEUR)
    assert invite(rapporteur, dossier).status_code == 302
    walker.run_jobs()
    path = link_path(emails_to(session, EXPERT_EMAIL, "avis_expert_invitation")[0])
    expert = browser_factory()
    assert expert.get(path).status_code == 303
    assert expert.get("/avis-expert/").status_code == 200
    invitation_id = session.scalars(select(InvitationExpert.id)).one()

    # The submitter cannot revoke it, nor can a reader who is not its author nor the
    # secretariat (the commission).
    url = f"/instruction/dossiers/{dossier}/avis-experts/{invitation_id}/revoquer"
    assert walker.demandeur.post(url, from_page="/registre").status_code == 403
    refused = walker.as_user(COMMISSION).post(url, from_page="/registre")
    assert refused.status_code == 403
    assert "Seuls l'auteur de l'invitation et le secrétariat" in text_of(refused)

    revoked = walker.as_user(SECRETARIAT).post(url, from_page="/registre")
    assert revoked.status_code == 302
    shown = text_of(walker.as_user(SECRETARIAT).get(f"/instruction/dossiers/{dossier}"))
    assert "Révoquée" in shown and "Invitation révoquée" in shown

    # The open session and the link are dead, with a French message.
    for address in ("/avis-expert/", path):
        response = expert.get(address)
        assert response.status_code == 410, address
        assert "a été révoquée" in text_of(response)
    posted = expert.post(
        "/avis-expert/",
        {"texte": OPINION},
        from_page="/connexion",
        content_type="multipart/form-data",
    )
    assert posted.status_code == 410 and "a été révoquée" in text_of(posted)
    session.rollback()
    assert session.scalars(select(InvitationExpert.avis)).one() is None
    # Its jobs are cancelled: the worker, run past the deadline, sends nothing more.
    jobs = session.scalars(
        select(Job).where(Job.kind.in_(("avis_expert_rappel", "avis_expert_echeance")))
    ).all()
    assert jobs and all(job.status == JobStatus.CANCELLED for job in jobs)
    again = walker.as_user(SECRETARIAT).post(url, from_page="/registre")
    assert again.status_code == 409


def test_bad_invitations_are_refused_in_french_and_nothing_is_stored(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    dossier = walker.dossier_id
    rapporteur = walker.as_user(RAPPORTEUR)

    def stored() -> tuple[int, int]:
        session.rollback()
        invitations = session.scalar(select(func.count()).select_from(InvitationExpert)) or 0
        jobs = session.scalar(select(func.count()).select_from(Job)) or 0
        return invitations, jobs

    before = stored()
    # A dossier the rapporteur does not instruct (still at the recevabilité): refused.
    elsewhere = walk_until(browser_factory, "examiner_recevabilite", organisation="ministere")
    before = stored()
    refused = invite(rapporteur, elsewhere.dossier_id)
    assert refused.status_code == 403
    assert "Vous n'instruisez pas ce dossier" in text_of(refused)
    page = text_of(rapporteur.get(f"/instruction/dossiers/{elsewhere.dossier_id}"))
    assert "Vous n'instruisez pas ce dossier" in page and "Envoyer l'invitation" not in page
    # The commission reads the section and may not invite.
    commission = walker.as_user(COMMISSION)
    page = text_of(commission.get(f"/instruction/dossiers/{dossier}"))
    assert "Avis d'experts" in page and "Envoyer l'invitation" not in page
    refused = invite(commission, dossier)
    assert refused.status_code == 403
    assert "Seuls le secrétariat et les rapporteurs" in text_of(refused)
    # A submitter, on their own dossier; anyone, on a dossier that does not exist.
    assert invite(walker.demandeur, dossier).status_code == 403
    assert invite(rapporteur, 999_999).status_code == 404
    assert stored() == before

    # What was typed is given back with the field's error.
    cases = {
        "courriel": ({"email": "elise.experte-at-universite"}, "n'est pas valide"),
        "echeance": ({"deadline": in_days(-1).isoformat()}, "postérieure à aujourd'hui"),
    }
    for field, (values, expected) in cases.items():
        answer = invite(rapporteur, dossier, **values)  # type: ignore[arg-type]
        assert answer.status_code == 422, field
        body = answer.get_data(as_text=True)
        shown = text_of(answer)
        assert expected in shown.replace("\u00a0", " "), field
        assert f'id="expert-{field}-erreur"' in body
        assert f'value="{EXPERT}"' in body and ASKED in shown
        assert "L'invitation n'a pas été envoyée" in shown
    for deadline in (in_days(0).isoformat(), "31/02/2027", "demain"):
        assert invite(rapporteur, dossier, deadline=deadline).status_code == 422, deadline
    assert invite(rapporteur, dossier, name="  ").status_code == 422
    assert stored() == before
    # A date typed the French way is understood.
    typed = invite(rapporteur, dossier, deadline=in_days(5).strftime("%d/%m/%Y"))
    assert typed.status_code == 302


def test_bad_links_and_opinions_are_refused_in_french_with_the_text_kept(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    expert = browser_factory()
    for token in ("abc", "0" * 64, "Z" * 64):
        refused = expert.get(f"/avis-expert/{token}")
        assert refused.status_code == 404
        assert "Ce lien d'invitation n'est pas valide." in text_of(refused)
    missing = expert.get("/avis-expert/")
    assert missing.status_code == 404 and "Votre accès d'expert a pris fin" in text_of(missing)

    assert invite(walker.as_user(RAPPORTEUR), walker.dossier_id).status_code == 302
    walker.run_jobs()
    path = link_path(emails_to(session, EXPERT_EMAIL, "avis_expert_invitation")[0])
    assert expert.get(path).status_code == 303

    def post(text: str, files: list[tuple[object, str]] | None = None) -> str:
        answer = expert.post(
            "/avis-expert/",
            {"texte": text, "pieces": files or []},
            from_page="/avis-expert/",
            content_type="multipart/form-data",
        )
        assert answer.status_code == 422, text_of(answer)[:300]
        return html.unescape(answer.get_data(as_text=True))

    long_text = "Avis très détaillé. " * 1_100
    body = post(long_text)
    assert "Votre texte compte 21\u202f999 caractères, pour 20\u202f000 au plus" in body
    assert long_text.strip() in body  # given back
    megabyte = post("é" * 1_000_000)
    assert "1\u202f000\u202f000 caractères" in megabyte
    fake = post(OPINION, [(io.BytesIO(b"MZ\x90\x00 not a pdf"), "rapport.pdf")])
    assert "n'est pas un document PDF, ODT ou DOCX valide" in fake
    assert OPINION in fake
    assert "Écrivez votre avis." in post("   ")
    session.rollback()
    invitation = session.scalars(select(InvitationExpert)).one()
    assert invitation.status == "envoyee" and invitation.avis is None
    assert session.scalar(select(func.count()).select_from(AvisExpertPiece)) == 0
