"""The public register through the API, without a token: the search (the page's filters),
cursor pages, an entry with its ETag (304 when unchanged), and the changes since a cursor with
which a reuser mirrors the register."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.core.clock import utcnow
from engine.core.models import RegisterEntry
from tests.api import call
from tests.integration.test_register_public import add_entry


def test_search_pages_with_an_opaque_cursor_and_filters(
    client: FlaskClient, session: Session
) -> None:
    for number in range(1, 6):
        add_entry(session, f"INV{number:05d}", f"Soudage orbital niveau {number}")
    add_entry(session, "INV00009", "Conduite de grue", categorie="A")
    session.commit()
    first = call(client, "GET", "/api/v1/registre?q=soudage&limite=2")
    assert first.status_code == 200
    assert first.json["total"] == 5
    seen = [item["numero"] for item in first.json["elements"]]
    cursor = first.json["suivant"]
    while cursor:
        page = call(client, "GET", f"/api/v1/registre?q=soudage&limite=2&curseur={cursor}")
        seen += [item["numero"] for item in page.json["elements"]]
        cursor = page.json["suivant"]
    assert sorted(seen) == [f"INV{number:05d}" for number in range(1, 6)]
    only_a = call(client, "GET", "/api/v1/registre?categorie=A")
    assert [item["numero"] for item in only_a.json["elements"]] == ["INV00009"]
    broken = call(client, "GET", "/api/v1/registre?curseur=%%%")
    assert broken.status_code == 400
    assert broken.mimetype == "application/problem+json"
    assert "curseur" in broken.json["detail"]
    wrong = call(client, "GET", "/api/v1/registre?limite=1000&inconnu=1")
    assert wrong.status_code == 422
    assert wrong.json["erreurs"] == {
        "limite": "La valeur doit être au plus 100.",
        "inconnu": "Ce champ n'est pas attendu.",
    }


def test_an_entry_answers_if_none_match_with_304_until_it_changes(
    client: FlaskClient, session: Session
) -> None:
    add_entry(session, "INV00042", "Maintenance des éoliennes")
    session.commit()
    entry = call(client, "GET", "/api/v1/registre/INV00042")
    assert entry.status_code == 200
    assert entry.json["intitule"] == "Maintenance des éoliennes"
    assert entry.json["certificateurs"] == [{"nom": "Organisme certificateur", "siret": None}]
    etag = entry.headers["ETag"]
    same = call(client, "GET", "/api/v1/registre/INV00042", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.data == b""
    session.execute(
        update(RegisterEntry)
        .where(RegisterEntry.numero == "INV00042")
        .values(statut="retiree", motif_retrait="Demande du certificateur", updated_at=utcnow())
    )
    session.commit()
    changed = call(client, "GET", "/api/v1/registre/INV00042", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json["statut"] == "retiree"
    assert changed.headers["ETag"] != etag
    missing = call(client, "GET", "/api/v1/registre/INV99999")
    assert missing.status_code == 404
    assert missing.json["detail"] == "Aucune fiche du registre ne porte ce numéro."


def test_changes_since_a_cursor_mirror_the_register(client: FlaskClient, session: Session) -> None:
    start = utcnow() - timedelta(hours=1)
    for number in range(1, 6):
        entry = add_entry(session, f"INV{number:05d}", f"Certification {number}")
        entry.updated_at = start + timedelta(minutes=number)
    session.commit()
    mirror: dict[str, str] = {}
    first = call(client, "GET", "/api/v1/registre/changements?limite=3")
    assert first.status_code == 200 and first.json["encore"] is True
    mirror |= {item["numero"]: item["statut"] for item in first.json["elements"]}
    second = call(client, "GET", f"/api/v1/registre/changements?depuis={first.json['curseur']}")
    assert second.json["encore"] is False
    mirror |= {item["numero"]: item["statut"] for item in second.json["elements"]}
    assert mirror == {f"INV{number:05d}": "active" for number in range(1, 6)}
    cursor = second.json["curseur"]
    idle = call(client, "GET", f"/api/v1/registre/changements?depuis={cursor}")
    assert idle.json["elements"] == [] and idle.json["curseur"] == cursor

    # An entry withdrawn, another published: only those two come, the withdrawal included.
    session.execute(
        update(RegisterEntry)
        .where(RegisterEntry.numero == "INV00002")
        .values(statut="retiree", updated_at=utcnow())
    )
    add_entry(session, "INV00006", "Certification 6").updated_at = utcnow()
    session.commit()
    news = call(client, "GET", f"/api/v1/registre/changements?depuis={cursor}")
    assert [(item["numero"], item["statut"]) for item in news.json["elements"]] == [
        ("INV00002", "retiree"),
        ("INV00006", "active"),
    ]
    assert call(client, "GET", "/api/v1/registre/changements?depuis=abc").status_code == 400
