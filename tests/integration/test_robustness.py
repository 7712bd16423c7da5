"""Nothing a user can type makes a 500: every route, as anonymous, submitter and reviewer, with
garbage ids, query strings and form fields. The admin forms answer bad input in French."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from engine.core.clock import utcnow
from engine.core.models import Document, Organisation, Seance, User, WorkItem
from engine.definitions.forms import FormDefinition, FormPage
from engine.people import accounts
from engine.studio import scenario
from engine.studio.scenario import SAMPLE_PDF, Step
from engine.workflow import documents
from tests.dossiers import data_of
from tests.support import CSRF, Browser, multipart, text_of
from tests.walk import form_of

NewBrowser = Callable[[], Browser]
HUGE_NUMBER = str(10**30)
# Ids a user can put in an address: nothing, negative, out of range, beyond any integer column.
GARBAGE_IDS = ("0", "-1", "99999999", HUGE_NUMBER, "9" * 400, "1e3", "abc", "%00", "%C2%B2")
GARBAGE_SEGMENTS = ("'%22", "%00", "x" * 3000, "%C3%A9%E2%82%AC", "..%2F..%2Fetc%2Fpasswd", "%25")
# Values a user can type in a query string or a field.
GARBAGE_TEXTS = (
    "'\"",
    "%",
    "%25%00",
    "x" * 10_000,
    "1' OR '1'='1'; DROP TABLE instance; --",
    "\x00",
    "a\x00b",
    "é€😀\u202e\ufeff",
    "-1",
    "0",
    HUGE_NUMBER,
    "9" * 5000,
    "²",
    "１２",
    "1e309",
    "[]",
    "",
)
FORM_ENDPOINTS = frozenset({"demandes.saisie", "demandes.tache", "instruction.tache"})
QUERY_KEYS = ("page", "etape", "tri", "q", "statut", "suivant")
ADMIN_GARBAGE = {
    "email": "pas-une-adresse\x00",
    "name": "\x00" * 3,
    "password": "x",
    "organisation_id": "²",
    "roles": ["\x00", "admin'--"],
    "kind": "ministere",
    "siret": "１２３４５６７８９０１２３４",
    "mandant_id": HUGE_NUMBER,
    "active": "on",
    "utilisateur": HUGE_NUMBER,
}


@dataclass(frozen=True)
class Ids:
    """Real ids, so that garbage reaches the code behind the lookups."""

    instance: int  # a ministry's dossier waiting for its complements
    task: int  # its completer_demande
    document: int
    review_task: int  # a CPNE's dossier at examiner_recevabilite
    designer_task: int  # a CCI's dossier at designer_rapporteur
    draft: int
    draft_task: int
    seance: int = 0  # a séance prévue of the CNCP's commission


def played(session: Session, upload_dir: Path, kind: str, steps: list[Step]) -> tuple[int, int]:
    """A dossier of an organisation of that kind after `steps`, and its open work item."""
    organisation = session.scalar(select(Organisation).where(Organisation.kind == kind))
    assert organisation is not None
    pick = scenario.actor_picker(session, organisation)
    instance = scenario.start(session, organisation)
    store = documents.DocumentStore(upload_dir, 2 * 1024 * 1024)
    for step in steps:
        scenario.play_step(session, store, instance, step, pick)
    task = session.scalar(
        select(WorkItem.id).where(WorkItem.instance_id == instance.id, WorkItem.status == "open")
    )
    assert task is not None
    return instance.id, task


@pytest.fixture
def ids(session: Session, upload_dir: Path) -> Ids:
    depot = Step("saisir_demande", data_of("favorable", "saisir_demande"))
    complements = Step(
        "examiner_recevabilite",
        data_of("complements_recevabilite_puis_instruction", "examiner_recevabilite"),
    )
    recevable = Step("examiner_recevabilite", data_of("favorable", "examiner_recevabilite"))
    instance, task = played(session, upload_dir, "ministere", [depot, complements])
    _review, review_task = played(session, upload_dir, "cpne", [depot])
    _designer, designer_task = played(session, upload_dir, "organisation_cncp", [depot, recevable])
    draft, draft_task = played(session, upload_dir, "ministere", [])
    when = utcnow() + timedelta(days=10)
    seance = Seance(commission="cncp", debut=when, lieu="Salle", lien_visio="", statut="prevue")
    seance.created_at = seance.updated_at = utcnow()
    session.add(seance)
    session.commit()
    document = session.scalar(select(Document.id).where(Document.instance_id == instance))
    assert document is not None
    return Ids(instance, task, document, review_task, designer_task, draft, draft_task, seance.id)


def users(new_browser: NewBrowser) -> Iterator[tuple[str, Browser]]:
    yield "anonyme", new_browser()
    for email in ("demandeur@example.org", "recevabilite@example.org"):
        browser = new_browser()
        browser.login(email)
        yield email, browser


def routes(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


VARIABLE = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def variables(rule: Rule) -> list[str]:
    return VARIABLE.findall(rule.rule)


def fill(rule: Rule, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda match: values[match.group(1)], rule.rule)


def real_values(ids: Ids, rule: Rule) -> dict[str, str]:
    reviewer = rule.endpoint.startswith("instruction.")
    return {
        "instance_id": str(ids.instance),
        "work_item_id": str(ids.designer_task if reviewer else ids.task),
        "document_id": str(ids.document),
        "user_id": "1",
        "page_id": "identification",
        "filename": "inventaire.css",
        "key": "recensement",
        "number": "1",
        "name": "prequalification.dmn",
        "numero": "INV00001",
        "email_id": "1",
        "job_id": "1",
        "piece_id": "1",
        "invitation_id": "1",
        "token": "0" * 64,
        "absence_id": "1",
        "export_id": "1",
        "view_id": "1",
        "seance_id": str(ids.seance),
        "inscription_id": "1",
        "subscription_id": "1",
        "delivery_id": "1",
        "kind": "ordre-du-jour",
        "sens": "monter",
        "extension": "json",
        # The JSON API's and the API tokens' pages.
        "token_id": "1",
        "dossier_id": str(ids.instance),
        "task_id": str(ids.task),
        "cle": "recensement",
        "numero_version": "1",
    }


def garbage_urls(rule: Rule, ids: Ids) -> list[str]:
    """The rule's address with garbage in each of its variables, the others real."""
    if not variables(rule):
        return [rule.rule]
    real = real_values(ids, rule)
    urls = {fill(rule, real)}
    for name in variables(rule):
        kind = type(rule._converters[name]).__name__
        choices = GARBAGE_IDS if kind == "IntegerConverter" else GARBAGE_SEGMENTS
        for value in choices:
            urls.add(fill(rule, real | {name: value}))
    if {"instance_id", "work_item_id"} <= set(variables(rule)):
        urls.add(fill(rule, {"instance_id": str(ids.draft), "work_item_id": str(ids.task)}))
        urls.add(fill(rule, {"instance_id": str(ids.draft), "work_item_id": str(ids.draft_task)}))
    if rule.rule.startswith("/demandes/<int:instance_id>/saisie"):
        urls.add(fill(rule, real | {"instance_id": str(ids.draft)}))
    return sorted(urls)


def assert_no_crash(response: TestResponse, what: str) -> None:
    # A file (a piece, a ZIP, a generated PDF) is bytes; every page and error is text.
    text = (response.mimetype or "").startswith(("text/", "application/json"))
    body = response.get_data(as_text=True) if text else ""
    response.close()  # a downloaded piece is an open file
    assert response.status_code < 500, f"{what}: {response.status_code} {text_of(response)[:500]}"
    assert "Traceback" not in body, what
    assert "Erreur interne" not in body, what


def token_of(browser: Browser) -> str:
    page = browser.get("/connexion")
    match = CSRF.search(page.get_data(as_text=True))
    assert match
    return match.group(1)


def page_payloads(form: FormDefinition, page: FormPage, document: int) -> list[dict[str, Any]]:
    """The page's own fields, every one with a value of the wrong kind (ids of pieces and users
    out of range or in non-ASCII digits, NUL bytes, huge texts, choices off the list)."""
    payloads = []
    for variant in range(3):
        payload: dict[str, Any] = {"_action": ("suivant", "deposer", "brouillon")[variant]}
        for name in page.fields:
            spec = form.get_field(name)
            if spec.widget in ("file", "files"):
                value: Any = ("²", HUGE_NUMBER, str(document))[variant]
            elif spec.widget == "user" or spec.json_type in ("integer", "number"):
                value = (HUGE_NUMBER, "²", "-" + HUGE_NUMBER)[variant]
            elif spec.json_type == "boolean":
                value = ("\x00", "peut-être", "２")[variant]
            elif spec.choices:
                value = [*(choice for choice, _label in spec.choices[:2]), "peut-être\x00"]
            else:
                value = ("a\x00b", "é" * 30_000, "' OR 1=1 --")[variant]
            payload[name] = value
        payloads.append(payload)
    return payloads


def form_targets(rule: Rule, ids: Ids) -> list[tuple[str, dict[str, Any]]]:
    """(address, garbage) for each page of the forms this route receives."""

    def of(task: str, url: str) -> list[tuple[str, dict[str, Any]]]:
        form = form_of(task)
        return [
            (url.format(page=page.id), payload)
            for page in form.pages
            for payload in page_payloads(form, page, ids.document)
        ]

    if rule.endpoint == "demandes.saisie":
        return of("saisir_demande", f"/demandes/{ids.draft}/saisie/{{page}}")
    if rule.endpoint == "demandes.tache":
        return of("completer_demande", f"/demandes/{ids.instance}/taches/{ids.task}")
    if rule.endpoint.startswith("messagerie.") and "POST" in (rule.methods or ()):
        url = fill(rule, real_values(ids, rule))
        texts: list[Any] = ["a\x00b", "é" * 30_000, ["deux", "valeurs"], "' OR 1=1 --"]
        return [(url, {"texte": text, "pieces": "²"}) for text in texts]
    if rule.endpoint == "instruction.tache":
        return [
            *of("examiner_recevabilite", f"/instruction/taches/{ids.review_task}"),
            *of("designer_rapporteur", f"/instruction/taches/{ids.designer_task}"),
        ]
    return []


def test_no_address_nor_query_string_makes_a_500(
    app: Flask, browser_factory: NewBrowser, ids: Ids
) -> None:
    queries = [
        "?" + urlencode(dict.fromkeys(QUERY_KEYS, text), quote_via=quote) for text in GARBAGE_TEXTS
    ]
    queries += ["?page=%00&q=%", "?etape=%ZZ&statut=%C3", "?" + "&".join(["q=1"] * 500)]
    for who, browser in users(browser_factory):
        for rule in routes(app):
            urls = garbage_urls(rule, ids)
            for url in urls:
                for method in ("GET", "POST"):
                    response = browser.client.open(url, method=method)
                    assert_no_crash(response, f"{who} {method} {url}")
            if "GET" in rule.methods:  # type: ignore[operator]
                base = fill(rule, real_values(ids, rule))
                for query in queries:
                    response = browser.client.get(base + query)
                    assert_no_crash(response, f"{who} GET {base}{query[:80]}")


def test_no_posted_form_makes_a_500(
    app: Flask, browser_factory: NewBrowser, ids: Ids, session: Session
) -> None:
    generic = [dict(ADMIN_GARBAGE), {"_action": "deposer", "\x00": "x", "page_id": "%00"}]
    for who, browser in users(browser_factory):
        token = token_of(browser)
        for rule in routes(app):
            if "POST" not in rule.methods:  # type: ignore[operator]
                continue
            if rule.endpoint == "auth.logout":
                continue  # below, last: it signs the user out
            if rule.endpoint.startswith("api."):
                continue  # no cookie, no CSRF: test_api_schemathesis posts garbage there
            url = fill(rule, real_values(ids, rule))
            if rule.endpoint == "demandes.saisie":
                url = fill(rule, real_values(ids, rule) | {"instance_id": str(ids.draft)})
            # Without the CSRF token: refused before anything is read.
            response = browser.client.post(url, data={"decision": "recevable"})
            assert_no_crash(response, f"{who} POST {url} sans jeton")
            assert response.status_code == 400, (who, url)
            assert "Le formulaire a expiré" in text_of(response)
            targets = [(url, payload) for payload in generic] + form_targets(rule, ids)
            for target, payload in targets:
                body, content_type = multipart(payload | {"csrf_token": token})
                response = browser.client.post(target, data=body, content_type=content_type)
                assert_no_crash(response, f"{who} POST {target} {sorted(payload)[:6]}")
            with_file = {
                "csrf_token": token,
                "referentiel_competences": (io.BytesIO(SAMPLE_PDF), "\x00../../évil\n.pdf"),
                "pieces_complementaires": (io.BytesIO(b"\x00" * 10), ""),
            }
            body, content_type = multipart(with_file)
            response = browser.client.post(url, data=body, content_type=content_type)
            assert_no_crash(response, f"{who} POST {url} avec fichiers")
            response = browser.client.post(
                url, data=b"\xff\xfe%%%", content_type="application/x-www-form-urlencoded"
            )
            assert_no_crash(response, f"{who} POST {url} corps illisible")
        response = browser.client.post("/deconnexion", data={"csrf_token": token, "x": "\x00"})
        assert_no_crash(response, f"{who} POST /deconnexion")


# --- the admin pages ---------------------------------------------------------------------


@pytest.fixture
def admin(browser_factory: NewBrowser) -> Browser:
    browser = browser_factory()
    browser.login("admin@example.org")
    return browser


def count(session: Session, model: Any) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"email": "pas-une-adresse"},
            "Saisissez une adresse électronique valide (ex. nom@domaine.fr).",
        ),
        ({"email": "prénom nom@example"}, "Saisissez une adresse électronique valide"),
        (
            {"password": "court"},
            "Le mot de passe doit compter au moins 12 caractères (il en compte 5).",
        ),
        ({"roles": ["superutilisateur"]}, "Rôle inconnu : superutilisateur"),
        ({"name": ""}, "Saisissez le nom (200 caractères au plus)."),
        ({"organisation_id": "²"}, "Choisissez une organisation de la liste."),
        ({"organisation_id": HUGE_NUMBER}, "Choisissez une organisation de la liste."),
        ({"email": "demandeur@example.org"}, "Un compte existe déjà avec cette adresse."),
    ],
)
def test_creating_an_account_with_bad_input_is_refused_in_french(
    admin: Browser, session: Session, fields: dict[str, Any], message: str
) -> None:
    before = count(session, User)
    good = {
        "email": "nouvelle.personne@example.org",
        "name": "Nouvelle Personne",
        "password": "un-mot-de-passe-solide",
        "roles": ["rapporteur"],
    }
    response = admin.post("/admin/comptes/nouveau", good | fields)
    assert response.status_code == 422, text_of(response)[:1000]
    assert message in text_of(response)
    assert f'value="{escape((good | fields)["email"])}"' in response.get_data(as_text=True)
    assert count(session, User) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"siret": "1234"}, "Le SIRET compte 14 chiffres."),
        ({"siret": "1234567890123A"}, "Le SIRET compte 14 chiffres."),
        ({"siret": "１２３４５６７８９０１２３４"}, "Le SIRET compte 14 chiffres."),
        ({"kind": "secte"}, "Choisissez un type d'organisation de la liste."),
        ({"name": " "}, "Saisissez le nom de l'organisation (300 caractères au plus)."),
        ({"kind": "certificateur"}, "Un organisme certificateur dépose sur mandat"),
        ({"mandant_id": HUGE_NUMBER}, "Choisissez une organisation de la liste."),
    ],
)
def test_creating_an_organisation_with_bad_input_is_refused_in_french(
    admin: Browser, session: Session, fields: dict[str, Any], message: str
) -> None:
    before = count(session, Organisation)
    good = {"kind": "cpne", "name": "CPNE de la plasturgie", "siret": "12345678901234"}
    response = admin.post("/admin/organisations", good | fields)
    assert response.status_code == 422, text_of(response)[:1000]
    assert message in text_of(response)
    assert count(session, Organisation) == before


def test_editing_an_account_with_bad_input_changes_nothing(
    admin: Browser, session: Session
) -> None:
    user = session.scalar(select(User).where(User.email == "cobaye@example.org"))
    if user is None:
        user = accounts.create_user(
            session,
            email="cobaye@example.org",
            name="Camille Cobaye",
            password="inventaire",
            enforce_policy=False,
            roles=["rapporteur"],
        )
        session.commit()
    url = f"/admin/comptes/{user.id}"
    for fields, message in (
        ({"organisation_id": "²"}, "Choisissez une organisation de la liste."),
        ({"organisation_id": HUGE_NUMBER}, "Choisissez une organisation de la liste."),
        ({"roles": ["pape"]}, "Rôle inconnu : pape"),
        (
            {"password": "court"},
            "Le mot de passe doit compter au moins 12 caractères (il en compte 5).",
        ),
        ({"name": ""}, "Saisissez le nom."),
    ):
        data = {"name": "Camille Cobaye", "roles": ["rapporteur"], "active": "on"} | fields
        response = admin.post(url, data)
        assert response.status_code == 422, (fields, text_of(response)[:800])
        assert message in text_of(response)
        session.rollback()
        stored = session.get(User, user.id, populate_existing=True)
        assert stored is not None
        assert stored.name == "Camille Cobaye" and stored.role_names == {"rapporteur"}
        assert stored.active and stored.organisation_id is None


def test_nul_characters_are_dropped_before_anything_reads_them(
    admin: Browser, session: Session
) -> None:
    """PostgreSQL refuses NUL in text: the request drops it, whatever the page."""
    response = admin.post(
        "/admin/comptes/nouveau",
        {
            "email": "nina\x00.nul@example.org",
            "name": "Nina\x00 Nul",
            "password": "un-mot-de-passe\x00-solide",
            "roles": ["rapporteur\x00"],
        },
    )
    assert response.status_code == 302, text_of(response)[:800]
    session.rollback()
    user = session.scalar(select(User).where(User.email == "nina.nul@example.org"))
    assert user is not None
    assert user.name == "Nina Nul" and user.role_names == {"rapporteur"}
    found = admin.get("/instruction/dossiers?q=%00Nina%00&statut=%00")
    assert found.status_code == 200
