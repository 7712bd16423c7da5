"""Two registers, named honestly: the Inventaire's entries (INV numbers, categories A/B/C,
recensed by the CNCP's former procedure) and the Répertoire spécifique's (RS numbers, no
category, France compétences). Each entry says which it belongs to, the search filters on it,
and each register's entries are renewed and withdrawn by their own register's procedures."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Instance, ProcessVersion, RegisterEntry
from engine.register import search as register_search
from engine.register.opendata.importer import import_fiches
from engine.studio.demo import REGISTER_SAMPLE
from tests.recensed import recensed
from tests.support import Browser, text_of

NewBrowser = Callable[[], Browser]
RESULT = re.compile(r'href="/registre/((?:INV|RS)\d+)"')


def imported(session: Session, path: Path = REGISTER_SAMPLE) -> None:
    import_fiches(session, path)
    session.commit()


def test_an_imported_rs_fiche_has_no_invented_category(
    session: Session, browser_factory: NewBrowser
) -> None:
    imported(session)
    public = browser_factory()
    # RS5719 is an *enregistrement de droit*: it used to get a category A it never had.
    fiche = text_of(public.get("/registre/RS5719"))
    assert "Registre Répertoire spécifique" in fiche
    assert "Catégorie" not in fiche
    assert "Type d'enregistrement Enregistrement de droit" in fiche
    assert "enregistrée au Répertoire spécifique par France compétences" in fiche
    assert "Décision d'enregistrement au Répertoire spécifique" in fiche
    entries = session.scalars(select(RegisterEntry)).all()
    assert entries and {(entry.registre, entry.categorie) for entry in entries} == {("rs", "")}
    # The result cards say it too, without a category badge.
    listing = public.get("/registre", query_string={"q": "RS5719"}).get_data(as_text=True)
    assert RESULT.findall(listing) == ["RS5719"]
    assert "Répertoire spécifique</p>" in listing
    assert not re.search(r"Catégorie [ABC]", listing)


def test_an_inventaire_entry_shows_its_category_and_the_former_law(
    browser_factory: NewBrowser,
) -> None:
    _walker, numero = recensed(browser_factory)
    fiche = text_of(browser_factory().get(f"/registre/{numero}"))
    assert "Registre Inventaire" in fiche
    assert "Catégorie A – obligation réglementaire" in fiche
    # The law in the right tense: the Inventaire was replaced by the RS in 2019.
    assert "ancien article L. 335-6 du code de l'éducation" in fiche
    assert "arrêté du 31 décembre 2014" in fiche
    assert "remplacé en 2019" in fiche


def test_the_search_filters_by_register(session: Session, browser_factory: NewBrowser) -> None:
    _walker, numero = recensed(browser_factory)
    imported(session)
    public = browser_factory()
    page = public.get("/registre")
    body = page.get_data(as_text=True)
    assert '<select class="fr-select" id="registre" name="registre"' in body or (
        'name="registre"' in body and "Les deux registres" in body
    )
    both = RESULT.findall(body)
    assert numero in both and "RS6232" in both
    only_rs = RESULT.findall(public.get("/registre?registre=rs").get_data(as_text=True))
    assert only_rs and numero not in only_rs and all(n.startswith("RS") for n in only_rs)
    only_inv = RESULT.findall(public.get("/registre?registre=inventaire").get_data(as_text=True))
    assert only_inv == [numero]
    # With words too (FTS5 or tsvector), and the filter kept in the form.
    amiante = public.get("/registre?q=amiante&registre=inventaire")
    assert RESULT.findall(amiante.get_data(as_text=True)) == []
    assert re.search(r'<option value="inventaire"\s+selected', amiante.get_data(as_text=True))
    assert RESULT.findall(public.get("/registre?q=amiante&registre=rs").get_data(as_text=True))
    # An unknown value is no filter.
    assert len(RESULT.findall(public.get("/registre?registre=x").get_data(as_text=True))) == len(
        both
    )
    session.rollback()
    assert register_search.search(session, "", registre="rs").total == len(both) - 1
    assert register_search.search(session, "", registre="inventaire").total == 1


def test_the_pagination_keeps_the_register_filter(
    session: Session, browser_factory: NewBrowser
) -> None:
    imported(session)
    page = browser_factory().get("/registre?registre=rs&tri=date")
    body = page.get_data(as_text=True)
    # Eight fiches: one page; the "Effacer la recherche" link shows the filter is applied.
    assert "Effacer la recherche" in body
    result = register_search.search(session, "", registre="rs", per_page=3)
    assert result.pages == 3 and all(hit.registre == "rs" for hit in result.items)


def test_the_cncp_commission_cannot_withdraw_an_rs_fiche(
    session: Session, browser_factory: NewBrowser
) -> None:
    imported(session)
    commission = browser_factory()
    commission.login("commission@example.org")
    fiche = text_of(commission.get("/registre/RS6604"))
    assert "Active" in fiche and "Engager un retrait" not in fiche
    refused = commission.post("/registre/RS6604/retrait", from_page="/registre/RS6604")
    assert refused.status_code == 403
    # France compétences' services do it, with the RS's own procedure.
    services = browser_factory()
    services.login("rapporteur@example.org")
    assert "Engager un retrait" in text_of(services.get("/registre/RS6604"))
    opened = services.post("/registre/RS6604/retrait", from_page="/registre/RS6604")
    assert opened.status_code == 302
    session.rollback()
    keys = session.scalars(
        select(ProcessVersion.key).join(Instance, Instance.process_version_id == ProcessVersion.id)
    ).all()
    assert keys == ["retrait-rs"]


def test_an_inventaire_entry_is_still_withdrawn_by_the_cncp(
    session: Session, browser_factory: NewBrowser
) -> None:
    walker, numero = recensed(browser_factory)
    services = walker.as_user("rapporteur@example.org")
    assert "Engager un retrait" not in text_of(services.get(f"/registre/{numero}"))
    commission = walker.as_user("commission@example.org")
    assert "Engager un retrait" in text_of(commission.get(f"/registre/{numero}"))


# SIRETs of the demo's organisations: the ministry's, the certifier's (engine/studio/demo.py).
MINISTRY_SIRET, CERTIFIER_SIRET = "11000201100044", "52345678900012"


def test_a_withdrawn_entry_is_said_withdrawn_from_its_own_register(
    session: Session, browser_factory: NewBrowser
) -> None:
    """Renewing a withdrawn entry is refused, naming the register it was withdrawn from."""
    for numero, registre, siret in (
        ("INV09003", "inventaire", MINISTRY_SIRET),
        ("RS90003", "rs", CERTIFIER_SIRET),
    ):
        session.add(
            RegisterEntry(
                numero=numero,
                intitule="Conduite de grues à tour",
                categorie="C" if registre == "inventaire" else "",
                registre=registre,
                certificateurs={"certificateurs": [{"nom": "Certificateur", "siret": siret}]},
                content={},
                statut="retiree",
            )
        )
    session.commit()
    cases = {
        "INV09003": ("demandeur@example.org", "de l'Inventaire"),
        "RS90003": ("mandataire@example.org", "du Répertoire spécifique"),
    }
    for numero, (email, where) in cases.items():
        certifier = browser_factory()
        certifier.login(email)
        fiche = f"/registre/{numero}"
        assert "Demander le renouvellement" not in text_of(certifier.get(fiche))
        refused = certifier.post(f"{fiche}/renouvellement", from_page=fiche)
        assert refused.status_code == 409
        page = text_of(refused)
        # (text_of reads every space as a plain one)
        assert f"{numero} a été retirée {where} : elle ne peut être renouvelée." in page
    assert "retirée de l'Inventaire" not in text_of(refused)
