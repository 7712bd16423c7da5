"""The public register as a visitor sees it, without signing in: the search (words of the title,
of a certifier, of a competence, without accents, filters, sort, pages), the fiche of each
certification (fields, dates, history, renewal chain), downloads, and any text typed in the
search box answered with a page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import delete, func, select, table, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.db import make_engine, make_session_factory
from engine.core.migrate import upgrade
from engine.core.models import RegisterEntry
from engine.register import search as register_search
from tests.support import text_of

RESULT = re.compile(r'<h3 class="fr-card__title"><a href="/registre/([A-Za-z0-9]+)">')


def at(day: str) -> datetime:
    """A date of the register (JJ/MM/AAAA), at noon UTC so that it reads the same in Paris."""
    parsed = datetime.strptime(day, "%d/%m/%Y")
    return parsed.replace(hour=12, tzinfo=UTC)


def add_entry(session: Session, numero: str, intitule: str, **values: Any) -> RegisterEntry:
    """A register entry written directly, as publication or the import would."""
    certifiers = values.pop("certifiers", [("Organisme certificateur", None)])
    entry = RegisterEntry(
        numero=numero,
        intitule=intitule,
        categorie=values.pop("categorie", "C"),
        certificateurs={
            "certificateurs": [{"nom": nom, "siret": siret} for nom, siret in certifiers]
        },
        autorite_legitime=values.pop("autorite_legitime", "Ministère du Travail et de l'Emploi"),
        content=values.pop("content", {}),
        date_decision=values.pop("date_decision", at("01/02/2024")),
        debut_validite=values.pop("debut_validite", None),
        fin_validite=values.pop("fin_validite", None),
        **values,
    )
    session.add(entry)
    session.flush()
    return entry


@pytest.fixture
def register(session: Session) -> dict[str, RegisterEntry]:
    entries = {
        "electrique": add_entry(
            session,
            "INV00001",
            "Habilitation électrique des opérateurs de maintenance",
            categorie="A",
            certifiers=[("Électro Sécurité Formation", "12345678900012")],
            content={
                "objectifs_contexte": "Prévenir le risque électrique lors des interventions.",
                "competences_attestees": "Consigner une installation avant toute intervention",
                "modalites_evaluation": "Mise en situation sur plateau technique",
                "codes_rome": "I1309, I1310",
                "formacodes": [{"code": "24049", "libelle": "Habilitation électrique"}],
                "codes_nsf": ["255"],
                "voies_acces": ["formation_continue", "vae"],
                "mandat": True,
            },
            date_decision=at("14/03/2024"),
            debut_validite=at("15/03/2024"),
            fin_validite=at("15/03/2030"),
            autorite_legitime="CPNE de la métallurgie (mandat donné à Électro Sécurité Formation)",
        ),
        "engins": add_entry(
            session,
            "INV00002",
            "Conduite d'engins de chantier",
            categorie="B",
            certifiers=[("BTP Compétences", "98765432100034")],
            content={"competences_attestees": "Manœuvrer une pelle hydraulique en sécurité"},
            date_decision=at("10/05/2018"),
            debut_validite=at("10/05/2018"),
            fin_validite=at("10/05/2024"),
            statut="echue",
            statut_change_le=at("11/05/2024"),
            autorite_legitime="CPNE du bâtiment",
        ),
        "amiante": add_entry(
            session,
            "RS6232",
            "Repérage de l'amiante dans le domaine des navires",
            categorie="",
            registre="rs",
            certifiers=[("ADX Formation", "44455566600077"), ("Marine Diagnostic", None)],
            content={
                "competences_attestees": [
                    "Analyser la commande du donneur d'ordre",
                    "Rédiger le rapport de repérage",
                ],
                "date_limite_delivrance": "2026-07-25",
                "si_jury_fi": {"actif": False},
                "secteurs_activite": "Transport maritime",
                "si_jury_fc": {"actif": True, "composition": "Trois professionnels du secteur"},
            },
            date_decision=at("25/01/2023"),
            fin_validite=at("25/01/2026"),
            statut="retiree",
            statut_change_le=at("02/09/2025"),
            motif_retrait="Obsolescence : la réglementation a changé.",
            autorite_legitime=None,
            numero_precedent="RS1234",
            source="import",
        ),
    }
    entries["engins2"] = add_entry(
        session,
        "INV00003",
        "Conduite d'engins de chantier et de levage",
        categorie="B",
        certifiers=[("BTP Compétences", "98765432100034")],
        content={"competences_attestees": "Manœuvrer une grue auxiliaire"},
        date_decision=at("02/04/2024"),
        debut_validite=at("02/04/2024"),
        fin_validite=at("02/04/2030"),
        precedente_id=entries["engins"].id,
        autorite_legitime="CPNE du bâtiment",
    )
    session.commit()
    return entries


def found(response: TestResponse) -> list[str]:
    """The numbers of the certifications listed, in the order shown."""
    assert response.status_code == 200, response.status_code
    return RESULT.findall(response.get_data(as_text=True))


def search(client: FlaskClient, **params: Any) -> TestResponse:
    return client.get("/registre", query_string=params)


# --- search ------------------------------------------------------------------------------


def test_search_by_a_word_of_the_title(client: FlaskClient, register: object) -> None:
    response = search(client, q="amiante")
    assert found(response) == ["RS6232"]
    page = text_of(response)
    assert "1 certification trouvée" in page
    assert "Repérage de l'amiante dans le domaine des navires" in page
    assert "ADX Formation, Marine Diagnostic" in page
    assert "Retirée" in page and "Répertoire spécifique" in page
    assert "Décision du 25/01/2023" in page


def test_search_by_certifier_name_or_siret(client: FlaskClient, register: object) -> None:
    assert found(search(client, q="BTP compétences", tri="date")) == ["INV00003", "INV00002"]
    assert found(search(client, q="12345678900012")) == ["INV00001"]
    assert found(search(client, q="marine diagnostic")) == ["RS6232"]


def test_search_by_competence(client: FlaskClient, register: object) -> None:
    assert found(search(client, q="pelle hydraulique")) == ["INV00002"]
    assert found(search(client, q="rapport de repérage")) == ["RS6232"]


def test_search_by_number(client: FlaskClient, register: object) -> None:
    assert found(search(client, q="RS6232")) == ["RS6232"]
    assert found(search(client, q="inv00001")) == ["INV00001"]


def test_search_ignores_accents_and_case(client: FlaskClient, register: object) -> None:
    assert found(search(client, q="ELECTRIQUE")) == ["INV00001"]
    assert found(search(client, q="reperage amiante")) == ["RS6232"]
    assert found(search(client, q="electro securite")) == ["INV00001"]


def test_the_last_word_matches_as_a_prefix(client: FlaskClient, register: object) -> None:
    assert found(search(client, q="habilit")) == ["INV00001"]
    assert found(search(client, q="conduite d'engins de lev")) == ["INV00003"]


def test_every_word_is_required(client: FlaskClient, register: object) -> None:
    assert found(search(client, q="amiante grue")) == []
    page = text_of(search(client, q="amiante grue"))
    assert "Aucune certification trouvée" in page
    assert "Vérifiez l'orthographe" in page


def test_filters_by_category_status_and_authority(client: FlaskClient, register: object) -> None:
    assert found(search(client, categorie="A")) == ["INV00001"]
    assert found(search(client, statut="echue")) == ["INV00002"]
    assert found(search(client, statut="retiree")) == ["RS6232"]
    assert found(search(client, autorite="CPNE du bâtiment")) == ["INV00003", "INV00002"]
    assert found(search(client, q="conduite", statut="active")) == ["INV00003"]
    assert found(search(client, q="amiante", categorie="A")) == []
    # The filters offered: every category, status and autorité légitime of the register.
    body = search(client).get_data(as_text=True)
    assert '<option value="CPNE du bâtiment">CPNE du bâtiment</option>' in body
    assert '<option value="B">B – norme de marché</option>' in body
    assert '<option value="retiree">Retirée</option>' in body
    # A filter is kept on the results page.
    assert '<option value="A" selected>' in search(client, categorie="A").get_data(as_text=True)


def test_addresses_with_the_former_statut_values_still_filter(
    client: FlaskClient, register: object
) -> None:
    """Before migration 0008 the statuts were `expired` and `withdrawn`: a link kept since
    gives the same results, the filter shown under its current value."""
    expired = search(client, statut="expired")
    assert found(expired) == ["INV00002"]
    assert '<option value="echue" selected>' in expired.get_data(as_text=True)
    assert found(search(client, statut="withdrawn")) == ["RS6232"]


def test_unknown_filter_values_are_ignored(client: FlaskClient, register: object) -> None:
    assert len(found(search(client, categorie="Z", statut="nope", tri="x"))) == 4
    assert found(search(client, autorite="Personne")) == []


def test_empty_search_lists_everything_most_recent_first(
    client: FlaskClient, register: object
) -> None:
    response = search(client)
    assert found(response) == ["INV00003", "INV00001", "RS6232", "INV00002"]
    assert "4 certifications trouvées" in text_of(response)
    assert "les décisions les plus récentes d'abord" in text_of(response)


def test_sort_by_relevance_or_by_date(client: FlaskClient, session: Session) -> None:
    add_entry(
        session,
        "INV00010",
        "Gestion de la paie",
        content={"competences_attestees": "Utiliser un tableur"},
        date_decision=at("01/01/2025"),
    )
    add_entry(session, "INV00011", "Tableur avancé", date_decision=at("01/01/2020"))
    session.commit()
    # The word in the title weighs more than in the competences; by date, the newest first.
    assert found(search(client, q="tableur")) == ["INV00011", "INV00010"]
    assert found(search(client, q="tableur", tri="date")) == ["INV00010", "INV00011"]
    assert '<option value="date" selected>' in search(client, q="x", tri="date").get_data(
        as_text=True
    )


def test_pages_of_twenty(client: FlaskClient, session: Session) -> None:
    for number in range(1, 46):
        day = f"{(number % 28) + 1:02d}/{(number % 12) + 1:02d}/{2000 + number}"
        add_entry(
            session, f"INV{number:05d}", f"Certification de soudure {number}", date_decision=at(day)
        )
    session.commit()
    first = search(client, q="soudure", tri="date")
    assert "45 certifications trouvées" in text_of(first)
    assert "Page 1 sur 3" in text_of(first)
    assert found(first)[:2] == ["INV00045", "INV00044"] and len(found(first)) == 20
    body = first.get_data(as_text=True)
    assert '<nav role="navigation" class="fr-pagination fr-mt-4w" aria-label="Pagination' in body
    assert 'aria-current="page" title="Page 1">1</a>' in body
    assert 'href="/registre?page=2&amp;q=soudure&amp;tri=date" title="Page suivante"' in body
    third = search(client, q="soudure", tri="date", page=3)
    assert found(third) == ["INV00005", "INV00004", "INV00003", "INV00002", "INV00001"]
    assert "Page 3 sur 3" in text_of(third)
    # Past the last page, the last page; a page that is no number, the first.
    assert found(search(client, q="soudure", tri="date", page=99)) == found(third)
    assert found(search(client, q="soudure", tri="date", page="abc")) == found(first)
    assert found(search(client, q="soudure", tri="date", page=-3)) == found(first)


HOSTILE = [
    '"',
    '""',
    "'",
    "%",
    "%%",
    "_",
    "*",
    "**",
    "amiante*",
    '"amiante',
    "NEAR",
    "NEAR(amiante navires, 2)",
    "amiante AND navires",
    "amiante OR",
    "OR",
    "AND NOT",
    "-amiante",
    "amiante -navires",
    "(amiante",
    "amiante)",
    "())(",
    "intitule:amiante",
    "{intitule numero}: amiante",
    "^amiante",
    "amiante:*",
    "!amiante & <->",
    "a & | ! <-> :* b",
    "'; DROP TABLE register_entry; --",
    "1' OR '1'='1",
    "\\",
    "\\x00",
    "amiante\x00navires",
    "\x00",
    "é" * 5000,
    "amiante " * 1300,
    "x" * 10_000,
    "🙂 certification 🙂",
    "中文 認證",
    "ﬁ ǅ İ ß",
    "e\u0301lectrique",
    "\u202e\u200b\ufeff",
    "  ",
    "le la les de",
    "a",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_any_search_text_gives_a_page(client: FlaskClient, register: object, text: str) -> None:
    for params in ({"q": text}, {"q": text, "tri": "date", "page": "2"}):
        response = search(client, **params)
        assert response.status_code == 200, (text[:40], response.status_code)
        assert "certification" in text_of(response)


def test_hostile_filters_give_a_page(client: FlaskClient, register: object) -> None:
    for params in (
        {"categorie": "' OR 1=1 --", "statut": "%", "autorite": "x" * 10_000, "tri": "*"},
        {"page": "9" * 400},
        {"page": "-1", "q": "amiante"},
        {"autorite": "\x00", "q": "\x00"},
    ):
        assert search(client, **params).status_code == 200, params


def test_search_form_works_without_javascript(client: FlaskClient, register: object) -> None:
    body = search(client, q="amiante").get_data(as_text=True)
    assert '<form method="get" action="/registre" role="search"' in body
    assert '<label class="fr-label" for="q">Rechercher une certification' in body
    assert 'value="amiante"' in body
    for name in ("categorie", "statut", "autorite", "tri"):
        assert f'<label class="fr-label" for="{name}">' in body
    assert (
        "<title>Recherche «&nbsp;amiante&nbsp;» – Registre des certifications – Inventaire</title>"
        in body
    )


# --- the index follows the register -------------------------------------------------------


def test_the_index_follows_every_change(
    client: FlaskClient, session: Session, register: dict[str, RegisterEntry]
) -> None:
    entry_id = register["amiante"].id
    session.execute(
        update(RegisterEntry)
        .where(RegisterEntry.id == entry_id)
        .values(intitule="Diagnostic plomb", certificateurs={"certificateurs": []})
    )
    session.commit()
    assert found(search(client, q="amiante")) == []
    assert found(search(client, q="ADX")) == []
    assert found(search(client, q="plomb")) == ["RS6232"]
    # A status or category change (a retrait, a correction) keeps the entry findable and
    # moves it between the filters.
    session.execute(
        update(RegisterEntry)
        .where(RegisterEntry.id == entry_id)
        .values(statut="active", categorie="A", autorite_legitime="CCI France")
    )
    session.commit()
    assert found(search(client, q="plomb")) == ["RS6232"]
    assert found(search(client, q="plomb", statut="active", categorie="A")) == ["RS6232"]
    assert found(search(client, statut="retiree")) == []
    assert found(search(client, autorite="CCI France")) == ["RS6232"]
    session.execute(delete(RegisterEntry).where(RegisterEntry.id == register["engins2"].id))
    session.commit()
    assert found(search(client, q="grue")) == []
    assert found(search(client, q="conduite")) == ["INV00002"]


def test_an_entry_with_odd_json_is_still_written_and_found(
    client: FlaskClient, session: Session
) -> None:
    session.add(
        RegisterEntry(
            numero="INV00099",
            intitule="Certification singulière",
            categorie="C",
            certificateurs={"certificateurs": ["Nom seul", 42, None, {"nom": None}]},
            content={"competences_attestees": {"bloc": ["Souder à l'arc"]}, "mandat": "?"},
        )
    )
    session.add(
        RegisterEntry(
            numero="INV00098",
            intitule="Certification au contenu nul",
            categorie="C",
            certificateurs={"certificateurs": {"nom": "pas une liste"}},
            content={"competences_attestees": "a\x00b"},
        )
    )
    session.commit()
    assert found(search(client, q="singuliere")) == ["INV00099"]
    assert found(search(client, q="souder")) == ["INV00099"]
    assert found(search(client, q="nom seul")) == ["INV00099"]
    assert found(search(client, q="contenu nul")) == ["INV00098"]
    assert client.get("/registre/INV00099").status_code == 200
    assert client.get("/registre/INV00098").status_code == 200


def test_entries_published_before_the_search_existed_are_indexed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'before.sqlite3'}")
    try:
        upgrade(engine, "0004")
        with engine.begin() as connection:  # the columns of the time (before migration 0008)
            connection.execute(
                sql_text(
                    "INSERT INTO register_entry (numero, intitule, categorie, certificateurs, "
                    "content, status, created_at) VALUES ('INV00007', "
                    "'Habilitation électrique ancienne', 'A', '{}', '{}', 'expired', "
                    "'2024-02-01 12:00:00.000000')"
                )
            )
        upgrade(engine)
        with make_session_factory(engine)() as session:
            assert [hit.numero for hit in register_search.search(session, "electrique").items] == [
                "INV00007"
            ]
            assert register_search.search(session, "", categorie="A").total == 1
            assert register_search.search(session, "", statut="echue").total == 1
    finally:
        engine.dispose()


def test_the_index_is_emptied_with_the_register(session: Session, register: object) -> None:
    session.execute(delete(RegisterEntry))
    session.commit()
    assert session.scalar(select(func.count()).select_from(table("register_search"))) == 0


# --- the fiche -----------------------------------------------------------------------------


def test_fiche_shows_every_public_field(client: FlaskClient, register: object) -> None:
    response = client.get("/registre/INV00001")
    assert response.status_code == 200
    page = text_of(response)
    for text in (
        "Certification n° INV00001",
        "Habilitation électrique des opérateurs de maintenance",
        "Active",
        "Catégorie A – obligation réglementaire",
        "Date de décision 14/03/2024",
        "Début de validité 15/03/2024",
        "Fin de validité 15/03/2030",
        "Certificateur Électro Sécurité Formation (SIRET 12345678900012)",
        "Autorité légitime CPNE de la métallurgie (mandat donné à Électro Sécurité Formation)",
        "Mandat Demande déposée par un organisme certificateur mandaté par l'autorité légitime",
        "Objectifs et contexte de la certification Prévenir le risque électrique",
        "Compétences attestées Consigner une installation avant toute intervention",
        "Modalités d'évaluation Mise en situation sur plateau technique",
        "Codes ROME I1309 I1310",
        "Formacodes 24049 – Habilitation électrique",
        "Codes NSF 255",
        "Voies d'accès à la certification Formation continue Validation des acquis de l'expérience",
    ):
        assert text in page, text
    assert "<title>INV00001 – Habilitation électrique" in response.get_data(as_text=True)


def test_fiche_of_a_retiree_imported_certification(client: FlaskClient, register: object) -> None:
    page = text_of(client.get("/registre/RS6232"))
    assert "Certification retirée du registre le 02/09/2025" in page
    assert "Motif : Obsolescence : la réglementation a changé." in page
    assert "Date de retrait 02/09/2025" in page
    assert "Certificateurs ADX Formation (SIRET 44455566600077) Marine Diagnostic" in page
    assert "Rédiger le rapport de repérage" in page
    assert "Date limite de délivrance des attestations 25/07/2026" in page
    assert (
        "Voies d'accès à la certification Formation continue – jury : "
        "Trois professionnels du secteur Secteurs" in page
    )
    assert "Formation initiale" not in page
    assert "Décision d'enregistrement" in page
    assert "Retrait du registre" in page
    # Its previous fiche is known by number only.
    assert "Certification précédente : RS1234 (absente de ce registre)" in page


def test_fiche_history_and_renewal_chain(client: FlaskClient, register: object) -> None:
    old = client.get("/registre/INV00002")
    page = text_of(old)
    assert "Échue" in page
    assert "Certification échue depuis le 11/05/2024" in page  # the day after its end date
    history = page[page.index("Historique") : page.index("Renouvellements")]
    assert history.index("10/05/2018 Recensement prononcé") < history.index(
        "11/05/2024 Fin de validité : certification échue"
    )
    assert "02/04/2024 Renouvelée par la certification INV00003" in history
    assert 'href="/registre/INV00003"' in old.get_data(as_text=True)
    assert "Renouvelée par : INV00003 – Conduite d'engins de chantier et de levage" in page

    new = client.get("/registre/INV00003")
    page = text_of(new)
    assert "Renouvellement de la certification INV00002" in page
    assert "Certification précédente : INV00002 – Conduite d'engins de chantier" in page
    assert 'href="/registre/INV00002"' in new.get_data(as_text=True)


def test_previous_by_number_and_next_of_an_imported_fiche(
    client: FlaskClient, session: Session
) -> None:
    add_entry(
        session,
        "RS100",
        "Ancienne fiche",
        source="import",
        content={"nouvelles_certifications": ["RS300"]},
    )
    add_entry(session, "RS200", "Nouvelle fiche", numero_precedent="RS100", source="import")
    session.commit()
    old = text_of(client.get("/registre/RS100"))
    assert "Renouvelée par : RS200 – Nouvelle fiche" in old
    assert "Renouvelée par : RS300 (absente de ce registre)" in old
    new = text_of(client.get("/registre/RS200"))
    assert "Certification précédente : RS100 – Ancienne fiche" in new


def test_unknown_number_is_a_french_404(client: FlaskClient, register: object) -> None:
    for path in ("/registre/INV99999", "/registre/x", "/registre/" + "9" * 300, "/registre/a%00b"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in text_of(response)
    page = text_of(client.get("/registre/INV99999"))
    assert "Aucune certification ne porte le numéro « INV99999 »" in page


def test_the_address_of_a_fiche_is_its_number(client: FlaskClient, register: object) -> None:
    response = client.get("/registre/inv00001")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/registre/INV00001")


# --- downloads -------------------------------------------------------------------------------


def download(client: FlaskClient, path: str) -> tuple[TestResponse, bytes]:
    """The file as a browser saves it: the whole body read, the response closed."""
    response = client.get(path)
    try:
        return response, response.get_data()
    finally:
        response.close()


def test_download_the_register_as_xml(client: FlaskClient, register: object) -> None:
    page = client.get("/registre").get_data(as_text=True)
    assert 'href="/registre/export.xml" download>Télécharger le registre au format XML' in page
    response, body = download(client, "/registre/export.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert re.fullmatch(
        r'attachment; filename="registre-inventaire-\d{4}-\d{2}-\d{2}\.xml"',
        response.headers["Content-Disposition"],
    )
    assert int(response.headers["Content-Length"]) == len(body)
    fiches = etree.fromstring(body)
    assert fiches.tag == "FICHES"
    assert sorted(fiches.xpath("FICHE/NUMERO_FICHE/text()")) == [
        "INV00001",
        "INV00002",
        "INV00003",
        "RS6232",
    ]
    assert "Repérage de l'amiante dans le domaine des navires" in fiches.xpath(
        "FICHE/INTITULE/text()"
    )


def test_download_the_register_as_csv(client: FlaskClient, register: object) -> None:
    page = client.get("/registre").get_data(as_text=True)
    assert 'href="/registre/export.csv" download>Télécharger le registre au format CSV' in page
    response, body = download(client, "/registre/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params == {"charset": "utf-8"}
    assert re.fullmatch(
        r'attachment; filename="registre-inventaire-\d{4}-\d{2}-\d{2}\.csv"',
        response.headers["Content-Disposition"],
    )
    rows = list(csv.DictReader(io.StringIO(body.decode()), delimiter=";"))
    by_numero = {row["numero"]: row for row in rows}
    assert sorted(by_numero) == ["INV00001", "INV00002", "INV00003", "RS6232"]
    assert by_numero["INV00002"]["intitule"] == "Conduite d'engins de chantier"
    assert by_numero["RS6232"]["certificateurs"] == "ADX Formation | Marine Diagnostic"
    # Each row says its register, as a code and as its name.
    header = list(rows[0])
    assert header[header.index("statut") + 1 : header.index("categorie")] == [
        "registre",
        "registre_libelle",
    ]
    assert (by_numero["RS6232"]["registre"], by_numero["RS6232"]["registre_libelle"]) == (
        "rs",
        "Répertoire spécifique",
    )
    for numero in ("INV00001", "INV00002", "INV00003"):
        row = by_numero[numero]
        assert (row["registre"], row["registre_libelle"]) == ("inventaire", "Inventaire")


def test_downloads_of_an_empty_register(client: FlaskClient) -> None:
    assert etree.fromstring(download(client, "/registre/export.xml")[1]).tag == "FICHES"
    lines = download(client, "/registre/export.csv")[1].decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("numero;intitule;")


# --- the way in ------------------------------------------------------------------------------


def test_the_register_is_public_and_linked(client: FlaskClient, register: object) -> None:
    home = client.get("/").get_data(as_text=True)
    assert '<a class="fr-btn" href="/registre">Rechercher dans le registre</a>' in home
    assert '<a class="fr-nav__link" href="/registre" >Registre</a>' in home
    page = client.get("/registre").get_data(as_text=True)
    assert '<a class="fr-nav__link" href="/registre" aria-current="page">Registre</a>' in page
    assert client.get("/registre/").status_code == 200
