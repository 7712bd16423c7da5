"""The worklists through HTTP, as the secretariat and the rapporteurs use them: filters and
full-text search, the due date and the overdue flag, saved views, bulk actions (one dossier
refused because it moved meanwhile), exports opened and read back, a large export by a job."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from freezegun import freeze_time
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS, utcnow
from engine.core.models import Instance, Job, Message, Organisation, WorkItem
from tests.clock import due_time, run_worker_at
from tests.dossiers import data_of, open_item, user_id, walk_until
from tests.recensed import sessions_of
from tests.seances import create_seance, timer_due
from tests.support import Browser, main_text, text_of
from tests.walk import Walker
from web.filters import date_fr

NewBrowser = Callable[[], Browser]
SECRETARIAT = "recevabilite@example.org"
LIST = "/instruction/dossiers"


def references(page: str) -> list[str]:
    """The references the list shows, in its order."""
    return re.findall(r'href="/instruction/(?:dossiers|taches)/\d+">([A-Z]+-\d{4}-\d+)<', page)


def tokens(page: str) -> dict[str, str]:
    """The checkbox of each row: its reference's dossier and version (`id:version`)."""
    found = re.findall(
        r'name="dossier" value="([0-9:]+)"[^>]*>\s*<label[^>]*><span class="fr-sr-only">'
        r"Sélectionner ([^<]+)</span>",
        page,
    )
    return {reference: token for token, reference in found}


def two_dossiers(new_browser: NewBrowser) -> tuple[Walker, Walker]:
    """A: the ministry's, waiting for recevabilité; B: the CPNE's, with its rapporteur."""
    first = walk_until(new_browser, "examiner_recevabilite", organisation="ministere")
    second = walk_until(new_browser, "instruire_demande", organisation="cpne")
    return first, second


def organisation_of(session: Session, walker: Walker) -> tuple[int, str]:
    session.rollback()
    found = session.execute(
        select(Organisation.id, Organisation.name)
        .join(Instance, Instance.organisation_id == Organisation.id)
        .where(Instance.id == walker.dossier_id)
    ).one()
    return int(found[0]), str(found[1])


def test_filters_and_full_text_search(browser_factory: NewBrowser, session: Session) -> None:
    a, b = two_dossiers(browser_factory)
    agent = a.as_user(SECRETARIAT)

    def shown(query: str) -> list[str]:
        return references(agent.get(f"{LIST}?{query}").get_data(as_text=True))

    assert set(shown("")) == {a.reference, b.reference}
    # The reference, as typed or by its number alone.
    assert shown(f"q={a.reference}") == [a.reference]
    assert shown(f"q={str(a.reference).split('-')[-1]}") == [a.reference]
    # The organisation's name, without its accents and cut short (a prefix).
    org_id, org_name = organisation_of(session, b)
    word = max(re.findall(r"\w+", org_name), key=len)
    typed = word.lower().translate(str.maketrans("éèêàôûç", "eeeaouc"))[:-1]
    assert b.reference in shown(f"q={typed}")
    assert a.reference not in shown(f"q={typed}")
    # A certifier's SIRET and name are the dossiers' words too.
    filed = data_of("favorable", "saisir_demande")
    assert set(shown(f"q={filed['certificateur_2_siret']}")) == {a.reference, b.reference}
    assert set(shown("q=prévention+électrique")) == {a.reference, b.reference}
    assert shown("q=introuvablemot") == []
    # Syntax of the search engines is plain text here: no error, no match.
    assert agent.get(f'{LIST}?q="NEAR(*)+OR+-:*').status_code == 200

    rapporteur = user_id(session, "rapporteur@example.org")
    assert shown(f"rapporteur={rapporteur}") == [b.reference]
    assert shown("etape=instruire_demande") == [b.reference]
    assert shown("etape=examiner_recevabilite") == [a.reference]
    assert shown(f"organisation={org_id}") == [b.reference]
    assert set(shown(f"categorie={filed['categorie']}")) == {a.reference, b.reference}
    assert shown(f"categorie={filed['categorie']}&organisation={org_id}") == [b.reference]
    # Filing dates: today holds both, tomorrow neither.
    today = utcnow().astimezone(PARIS).date()  # the dépôt's day, in Paris
    assert set(shown(f"depot_du={today}&depot_au={today + timedelta(days=1)}")) == {
        a.reference,
        b.reference,
    }
    assert shown(f"depot_du={today + timedelta(days=2)}") == []
    assert set(shown(f"depot_au={today:%d/%m/%Y}")) == {a.reference, b.reference}
    # A date that is not one: said in French, the rest of the filter still applies, as typed.
    page = agent.get(f"{LIST}?depot_du=31/02/2026&organisation={org_id}")
    assert page.status_code == 200
    assert "Saisissez une date valide, par exemple 31/03/2026." in text_of(page)
    assert 'value="31/02/2026"' in page.get_data(as_text=True)
    assert references(page.get_data(as_text=True)) == [b.reference]

    # The rapporteur's Bannette: the same filter and search on their tasks.
    reviewer = b.as_user("rapporteur@example.org")
    tray = reviewer.get(f"/instruction/?q={b.reference}").get_data(as_text=True)
    assert references(tray) == [b.reference]
    empty = reviewer.get("/instruction/?q=introuvablemot")
    assert "Aucune tâche en attente pour ces filtres." in text_of(empty)


def test_due_date_sort_and_overdue_flag(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    a, b = two_dossiers(browser_factory)
    agent = a.as_user(SECRETARIAT)
    sessions = sessions_of(app)
    reminder = due_time(sessions, b.dossier_id, "rappel_instruction")
    page = agent.get(f"{LIST}?tri=echeance").get_data(as_text=True)
    # B waits on its instruction reminder; A on nothing: after it.
    assert references(page) == [b.reference, a.reference]
    assert date_fr(reminder) in main_text(agent.get(f"{LIST}?tri=echeance"))
    assert 'fr-badge--sm">En retard<' not in agent.get(LIST).get_data(as_text=True)
    assert references(agent.get(f"{LIST}?en_retard=1").get_data(as_text=True)) == []

    # The reminder falls due and fires; the rapporteur has not reported: B is late.
    run_worker_at(sessions, reminder + timedelta(seconds=1))
    with freeze_time(reminder + timedelta(days=1)):
        # Signed in again: sessions do not last two months.
        agent, rapporteur = browser_factory(), browser_factory()
        agent.login(SECRETARIAT)
        rapporteur.login("rapporteur@example.org")
        late = agent.get(f"{LIST}?en_retard=1")
        assert references(late.get_data(as_text=True)) == [b.reference]
        row = re.search(rf"{b.reference}.*?</tr>", late.get_data(as_text=True), re.S)
        assert row and "fr-badge--error" in row.group(0) and "En retard" in row.group(0)
        tray = rapporteur.get("/instruction/?tri=echeance&en_retard=1")
        assert references(tray.get_data(as_text=True)) == [b.reference]
        assert 'fr-badge--sm">En retard<' in tray.get_data(as_text=True)


def test_saved_views_are_their_owners(browser_factory: NewBrowser, session: Session) -> None:
    a, b = two_dossiers(browser_factory)
    agent = a.as_user(SECRETARIAT)
    url = f"{LIST}?etape=instruire_demande&tri=echeance"
    saved = agent.post(
        "/instruction/vues",
        {
            "liste": "dossiers",
            "nom": "À instruire",
            "requete": "etape=instruire_demande&tri=echeance",
        },
        from_page=url,
    )
    assert saved.status_code == 302
    page = agent.get(LIST)
    assert "Vue « À instruire » enregistrée." in text_of(page)
    link = re.search(
        r'href="(/instruction/dossiers\?[^"]+)">À instruire<', page.get_data(as_text=True)
    )
    assert link
    followed = agent.get(link.group(1).replace("&amp;", "&"))
    assert references(followed.get_data(as_text=True)) == [b.reference]
    # Nobody else sees it, nor deletes it.
    other = a.as_user("admin@example.org")
    assert "À instruire" not in text_of(other.get(LIST))
    view_id = re.search(r"/instruction/vues/(\d+)/supprimer", page.get_data(as_text=True))
    assert view_id
    refused = other.post(f"/instruction/vues/{view_id.group(1)}/supprimer", from_page=LIST)
    assert refused.status_code == 404
    # A view without a name is refused in French.
    agent.post(
        "/instruction/vues", {"liste": "dossiers", "nom": "  ", "requete": ""}, from_page=LIST
    )
    assert "Donnez un nom à cette vue." in text_of(agent.get(LIST))
    deleted = agent.post(f"/instruction/vues/{view_id.group(1)}/supprimer", from_page=LIST)
    assert deleted.status_code == 302
    assert "Vue « À instruire » supprimée." in text_of(agent.get(LIST))
    assert ">À instruire<" not in agent.get(LIST).get_data(as_text=True)


def test_bulk_reassign_refuses_the_dossier_that_moved(
    browser_factory: NewBrowser, session: Session
) -> None:
    first = walk_until(browser_factory, "instruire_demande", organisation="ministere")
    second = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    third = walk_until(browser_factory, "examiner_recevabilite", organisation="organisation_cncp")
    agent = first.as_user(SECRETARIAT)
    page = agent.get(f"{LIST}?tout=1").get_data(as_text=True)
    rows = tokens(page)
    assert set(rows) == {first.reference, second.reference, third.reference}
    # Everything on the page is ticked by « Tout sélectionner sur cette page ».
    assert (
        page.count('name="dossier"')
        == len(re.findall(r'name="dossier" value="[0-9:]+" checked', page))
        == 3
    )

    chosen = [rows[first.reference], rows[second.reference], rows[third.reference]]
    form = agent.post("/instruction/lot", {"action": "reattribuer", "dossier": chosen,
                                           "retour": LIST}, from_page=LIST)  # fmt: skip
    assert form.status_code == 200
    assert "3 dossiers sélectionnés" in text_of(form)

    # Meanwhile the rapporteur gives the second dossier's task back: it moved.
    rapporteur = second.as_user("rapporteur@example.org")
    item = open_item(session, second.dossier_id, "instruire_demande")
    rapporteur.post(f"/instruction/taches/{item}/liberer", from_page=f"/instruction/taches/{item}")

    # No one chosen: refused, nothing done, the selection kept.
    missing = agent.post("/instruction/lot", {"action": "reattribuer", "confirmer": "1",
                                              "dossier": chosen, "retour": LIST},
                         from_page="/instruction/dossiers")  # fmt: skip
    assert missing.status_code == 422
    assert "Choisissez une personne de la liste." in text_of(missing)

    target = user_id(session, "rapporteur2@example.org")
    done = agent.post("/instruction/lot", {"action": "reattribuer", "confirmer": "1",
                                           "dossier": chosen, "utilisateur": str(target),
                                           "retour": LIST}, from_page=LIST)  # fmt: skip
    text = text_of(done)
    assert done.status_code == 200
    assert "1 dossier traité, 2 refusés." in text
    assert "Le dossier a changé depuis l'affichage de la liste" in text
    assert "Aucune tâche ouverte de ce dossier ne relève des rôles de Rachida Rapporteure" in text
    session.rollback()
    moved = session.get(WorkItem, open_item(session, first.dossier_id, "instruire_demande"))
    assert moved is not None and moved.claimed_by_id == target
    untouched = session.get(WorkItem, item)
    assert untouched is not None and untouched.claimed_by_id is None
    # The rapporteur-2 now finds it in their Bannette, the index followed.
    tray = first.as_user("rapporteur2@example.org").get(f"/instruction/?rapporteur={target}")
    assert references(tray.get_data(as_text=True)) == [first.reference]


def test_bulk_message_goes_to_each_dossier(browser_factory: NewBrowser, session: Session) -> None:
    a, b = two_dossiers(browser_factory)
    agent = a.as_user(SECRETARIAT)
    rows = tokens(agent.get(LIST).get_data(as_text=True))
    chosen = [rows[a.reference], rows[b.reference]]
    empty = agent.post("/instruction/lot", {"action": "message", "confirmer": "1", "texte": " ",
                                            "dossier": chosen}, from_page=LIST)  # fmt: skip
    assert empty.status_code == 422 and "Écrivez votre message." in text_of(empty)
    session.rollback()
    assert session.scalar(select(Message.id)) is None
    sent = agent.post("/instruction/lot", {"action": "message", "confirmer": "1",
                                           "texte": "Merci de vérifier vos pièces.",
                                           "dossier": chosen}, from_page=LIST)  # fmt: skip
    assert "2 dossiers traités, 0 refusé." in text_of(sent)
    session.rollback()
    bodies = session.execute(select(Message.instance_id, Message.body)).all()
    assert sorted(bodies) == sorted(
        [
            (a.dossier_id, "Merci de vérifier vos pièces."),
            (b.dossier_id, "Merci de vérifier vos pièces."),
        ]
    )
    # Each submitter is told by email, and reads it in their dossier.
    emailed = set(
        session.scalars(
            select(Job.instance_id).where(
                Job.kind == "email", Job.idempotency_key.contains("message-")
            )
        )
    )
    assert {a.dossier_id, b.dossier_id} <= emailed
    assert "Merci de vérifier vos pièces." in text_of(a.demandeur.get(f"/demandes/{a.dossier_id}"))


def test_exports_in_three_formats(browser_factory: NewBrowser) -> None:
    a, b = two_dossiers(browser_factory)
    agent = a.as_user(SECRETARIAT)
    form = agent.get("/instruction/export?etape=instruire_demande")
    assert form.status_code == 200 and "Colonnes" in text_of(form)
    columns = ["reference", "intitule", "demandeur", "rapporteur", "echeance"]

    def export(kind: str, extra: dict[str, object] | None = None) -> bytes:
        data: dict[str, object] = {"format": kind, "colonne": columns, "etape": "instruire_demande"}
        response = agent.post(
            "/instruction/export", data | (extra or {}), from_page="/instruction/export"
        )
        assert response.status_code == 200, text_of(response)
        assert "attachment" in response.headers["Content-Disposition"]
        return response.get_data()

    raw = export("csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Référence", "Intitulé", "Demandeur", "Rapporteur", "Échéance"]
    assert [row[0] for row in rows[1:]] == [b.reference]
    assert rows[1][3] == "Rémi Rapporteur"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[1][4])

    book = load_workbook(io.BytesIO(export("xlsx")), read_only=True)
    sheet = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert sheet[0][0] == "Référence" and sheet[1][0] == b.reference
    assert sheet[1][4] is not None and sheet[1][4].year >= 2026

    archive = zipfile.ZipFile(io.BytesIO(export("ods")))
    assert archive.namelist()[0] == "mimetype"
    assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    content = etree.fromstring(archive.read("content.xml"))
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
          "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}  # fmt: skip
    table = [
        ["".join(cell.itertext()) for cell in row.findall("table:table-cell", ns)]
        for row in content.iterfind(".//table:table-row", ns)
    ]
    assert table[0][:2] == ["Référence", "Intitulé"] and table[1][0] == b.reference

    # A selection (from a list's checkboxes) exports those dossiers only.
    rows_shown = tokens(agent.get(LIST).get_data(as_text=True))
    picked = export("csv", {"dossier": [rows_shown[a.reference]], "etape": ""})
    assert [row[0] for row in csv.reader(io.StringIO(picked.decode("utf-8-sig")), delimiter=";")][
        1:
    ] == [a.reference]
    refused = agent.post("/instruction/export", {"format": "pdf"}, from_page="/instruction/export")
    assert refused.status_code == 422 and "Choisissez un format." in text_of(refused)


def test_large_export_is_built_by_a_job_with_progress(
    app: Flask, browser_factory: NewBrowser
) -> None:
    a, b = two_dossiers(browser_factory)
    agent = a.as_user(SECRETARIAT)
    app.config["EXPORT_SYNC_MAX_ROWS"] = 1
    try:
        started = agent.post("/instruction/export", {"format": "xlsx", "colonne": ["reference"]},
                             from_page="/instruction/export")  # fmt: skip
    finally:
        app.config["EXPORT_SYNC_MAX_ROWS"] = 2000
    assert started.status_code == 302
    url = started.headers["Location"]
    waiting = agent.get(url)
    assert "Export en cours de préparation : 0 dossiers sur 2 (0 %)." in text_of(waiting).replace(
        "\u00a0", " "
    ).replace("\u202f", " ")
    assert '<meta http-equiv="refresh" content="3">' in waiting.get_data(as_text=True)
    download = f"{url}/fichier"
    assert agent.get(download).status_code == 409

    run_worker_at(sessions_of(app), utcnow())
    ready = agent.get(url)
    assert "L'export est prêt" in text_of(ready)
    assert "refresh" not in ready.get_data(as_text=True)
    file = agent.get(download)
    assert file.status_code == 200
    sheet = [
        row[0]
        for row in load_workbook(io.BytesIO(file.get_data())).active.iter_rows(values_only=True)
    ]
    assert sheet[0] == "Référence" and set(sheet[1:]) == {a.reference, b.reference}
    # Only its creator downloads it.
    other = a.as_user("admin@example.org")
    assert other.get(download).status_code == 404
    assert other.get(url).status_code == 404


def test_bulk_actions_refused_without_selection_or_right(
    browser_factory: NewBrowser, session: Session
) -> None:
    a = walk_until(browser_factory, "instruire_demande", organisation="ministere")
    agent = a.as_user(SECRETARIAT)
    token = tokens(agent.get(LIST).get_data(as_text=True))[str(a.reference)]
    # Nothing ticked: back to the list, which says so.
    empty = agent.post("/instruction/lot", {"action": "message", "retour": f"{LIST}?tri=echeance"},
                       from_page=LIST)  # fmt: skip
    assert empty.status_code == 302 and empty.headers["Location"].endswith(f"{LIST}?tri=echeance")
    assert "Cochez au moins un dossier de la liste" in text_of(agent.get(LIST))
    # An action that does not exist, or a return address elsewhere: refused, ignored.
    unknown = agent.post("/instruction/lot", {"action": "supprimer", "dossier": token},
                         from_page=LIST)  # fmt: skip
    assert unknown.status_code == 403
    outside = agent.post("/instruction/lot", {"action": "message", "retour": "https://ailleurs.example"},
                         from_page=LIST)  # fmt: skip
    assert outside.headers["Location"].endswith(LIST)
    # A rapporteur may write to the dossiers but not hand tasks over.
    rapporteur = a.as_user("rapporteur@example.org")
    page = rapporteur.get("/instruction/").get_data(as_text=True)
    assert 'value="message"' in page and 'value="reattribuer"' not in page
    target = str(user_id(session, "rapporteur2@example.org"))
    forbidden = rapporteur.post("/instruction/lot", {"action": "reattribuer", "confirmer": "1",
                                                     "dossier": token, "utilisateur": target},
                                from_page="/instruction/")  # fmt: skip
    assert forbidden.status_code == 403
    # A submitter reaches none of it.
    assert a.demandeur.post("/instruction/lot", {"action": "message", "dossier": token},
                            from_page="/demandes/").status_code == 403  # fmt: skip
    session.rollback()
    assert session.scalar(select(Message.id)) is None
    item = session.get(WorkItem, open_item(session, a.dossier_id, "instruire_demande"))
    assert item is not None and item.claimed_by_id == user_id(session, "rapporteur@example.org")


def test_bulk_inscription_on_a_seance_refuses_the_dossier_not_ready(
    browser_factory: NewBrowser, session: Session
) -> None:
    ready = walk_until(browser_factory, "inscrire_ordre_du_jour", organisation="ministere")
    also_ready = walk_until(browser_factory, "inscrire_ordre_du_jour", organisation="cpne")
    early = walk_until(browser_factory, "examiner_recevabilite", organisation="organisation_cncp")
    agent = ready.as_user(SECRETARIAT)
    seance_id = create_seance(agent, utcnow() + timedelta(days=20))
    rows = tokens(agent.get(f"{LIST}?tout=1").get_data(as_text=True))
    chosen = [rows[ready.reference], rows[also_ready.reference], rows[early.reference]]

    form = agent.post("/instruction/lot", {"action": "seance", "dossier": chosen, "retour": LIST},
                      from_page=LIST)  # fmt: skip
    assert form.status_code == 200 and "Inscrire à une séance" in text_of(form)
    assert f'<option value="{seance_id}"' in form.get_data(as_text=True)
    missing = agent.post("/instruction/lot", {"action": "seance", "confirmer": "1",
                                              "dossier": chosen, "retour": LIST},
                         from_page=LIST)  # fmt: skip
    assert missing.status_code == 422
    assert "Choisissez une séance prévue de la liste." in text_of(missing)

    done = agent.post("/instruction/lot", {"action": "seance", "confirmer": "1",
                                           "dossier": chosen, "seance": str(seance_id),
                                           "retour": LIST}, from_page=LIST)  # fmt: skip
    text = text_of(done)
    assert "2 dossiers traités, 1 refusé." in text, text[:3000]
    assert "n'attend plus son inscription à l'ordre du jour" in text
    # The séance's ordre du jour lists the two, and their waits follow its date.
    agenda = text_of(agent.get(f"/seances/{seance_id}"))
    assert ready.reference in agenda and also_ready.reference in agenda
    assert early.reference not in agenda
    session.rollback()
    for walker in (ready, also_ready):
        assert (
            timer_due(session, walker.dossier_id).date()
            == (utcnow() + timedelta(days=20)).astimezone(PARIS).date()
        )
    # The commission reads the séance but may not inscribe in bulk.
    commission = ready.as_user("commission@example.org")
    refused = commission.post("/instruction/lot", {"action": "seance", "dossier": chosen,
                                                   "retour": LIST}, from_page=LIST)  # fmt: skip
    assert refused.status_code in (403, 422)
