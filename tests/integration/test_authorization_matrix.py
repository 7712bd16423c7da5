"""The authorization matrix: every route of the app × every principal × others' objects.

The table (tests/authorization.py) says who may use each route on which object, from the
documented rules; this test builds a world of real dossiers through the pages and
SpiffWorkflow (organisation A's dossiers at several steps, a draft, a submitter's task, a task
designated to rapporteur X, organisation B's recensed dossier, messages, an annotation,
experts' links and opinions, a séance, a saved view, an export, an absence), then tries every
case as every principal. A refused principal must get 401/403/404/410 or the sign-in page and
read nothing of the object; an allowed one must get the expected answer (0 leaks, 0
over-denials). A route of the app missing from the table fails: new routes must be classified.

The JSON API's cases are sent with no cookie and the principal's own bearer token, made through
the engine (lecture and écriture; the process owner's and the administrator's also `admin`), or
their read-only token for the scope cases; anonymous sends none, the expert an unknown one. An
API refusal must be a 401/403/404 `application/problem+json` naming nothing of the object.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.models import (
    Annotation,
    AnnotationPiece,
    AvisExpertPiece,
    Document,
    Email,
    Inscription,
    InvitationExpert,
    Job,
    Message,
    MessagePiece,
    Seance,
    User,
    UserRole,
    WebhookSubscription,
)
from engine.people import accounts, api_tokens
from engine.webhooks import outbox
from engine.webhooks.events import EventType
from engine.workflow import absences
from engine.workflow.worklists import export_job, saved_views
from tests.authorization import API_REFUSED, EVERYONE, PRINCIPALS, REFUSED, Case
from tests.authorization_api import ALL_CASES as CASES
from tests.dossiers import data_of, open_item, snapshot, user_id, walk_until
from tests.experts import emails_to, invite, link_path
from tests.messagerie import write
from tests.recensed import recensed
from tests.support import Browser, location_id, pdf

NewBrowser = Callable[[], Browser]
DRAFT_TITLE = "Brouillon confidentiel de l'organisation A"
MESSAGE_A = "Message confidentiel du ministère sur son dossier"
ANNOTATION_A = "Annotation privée du secrétariat, jamais lue par un demandeur"
SPARE_EMAIL = "compte.jetable@example.org"
IGNORED = {"HEAD", "OPTIONS"}


@dataclass
class World:
    ids: dict[str, str]
    secrets: dict[str, tuple[str, ...]]
    # Each principal's bearer token for the API, and a read-only one.
    bearers: dict[str, str] = field(default_factory=dict)
    read_only: dict[str, str] = field(default_factory=dict)

    def path(self, template: str) -> str:
        return template.format(**self.ids)


def routes_of(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - IGNORED
    }


def test_every_route_is_classified(app: Flask) -> None:
    classified = {(case.method, case.rule) for case in CASES}
    missing = sorted(routes_of(app) - classified)
    assert not missing, "route not classified in tests/authorization.py: " + ", ".join(
        f"{method} {rule}" for method, rule in missing
    )
    stale = sorted(classified - routes_of(app))
    assert not stale, f"the table names routes the app does not have: {stale}"
    unknown = {name for case in CASES for name in case.allowed | case.hidden_from} - set(PRINCIPALS)
    assert not unknown


def build_world(new_browser: NewBrowser, session: Session) -> tuple[World, dict[str, Browser]]:
    # Organisation B's dossier, recensed and published (a séance held, emails and jobs made).
    walker_b, numero = recensed(new_browser)
    # Organisation A: a dossier back to its submitter for complements (their task) ...
    complements = walk_until(new_browser, "examiner_recevabilite")
    complements.step(
        "examiner_recevabilite",
        data_of("complements_recevabilite_puis_instruction", "examiner_recevabilite"),
    )
    # ... and one whose instruction is designated to rapporteur X.
    a_walker = walk_until(new_browser, "instruire_demande")
    a_dossier = a_walker.dossier_id
    owner = a_walker.demandeur
    created = owner.post("/demandes/nouvelle", from_page="/demandes/")
    draft = location_id(created, r"/demandes/(\d+)/saisie")
    saved = owner.post(
        f"/demandes/{draft}/saisie/identification",
        {"intitule": DRAFT_TITLE, "_action": "brouillon"},
    )
    assert saved.status_code == 302
    assert write(owner, f"/demandes/{a_dossier}/messages", MESSAGE_A, [pdf()]).status_code == 302
    secretariat = a_walker.as_user("recevabilite@example.org")
    url = f"/instruction/dossiers/{a_dossier}/annotations"
    assert write(secretariat, url, ANNOTATION_A, [pdf()]).status_code == 302
    # Two experts: one answers with a piece, the other (a principal) still holds a live link.
    assert invite(secretariat, a_dossier, email="expert.un@example.org").status_code == 302
    assert invite(secretariat, a_dossier, email="expert.deux@example.org").status_code == 302
    a_walker.run_jobs()  # the invitations' emails
    answering = new_browser()
    answering.get(link_path(emails_to(session, "expert.un@example.org")[0]))
    answered = answering.post(
        "/avis-expert/",
        {"texte": "Mon avis, avec son annexe.", "pieces": [pdf()]},
        content_type="multipart/form-data",
    )
    assert answered.status_code in (302, 303)
    token = link_path(emails_to(session, "expert.deux@example.org")[0]).rsplit("/", 1)[1]
    expert = new_browser()

    session.rollback()
    secretariat_actor = Actor.from_user(
        session.get(User, user_id(session, "recevabilite@example.org"))  # type: ignore[arg-type]
    )
    view = saved_views.save(session, secretariat_actor, "dossiers", "Ma vue", {"q": "x"})
    export = export_job.start(
        session,
        secretariat_actor,
        export_job.ExportRequest(format="csv", columns=("reference",)),
        total=1,
    )
    admin_actor = Actor.from_user(
        session.get(User, user_id(session, "admin@example.org"))  # type: ignore[arg-type]
    )
    today = utcnow().date()
    absence = absences.declare(
        session,
        admin_actor,
        user_id(session, "rapporteur@example.org"),
        user_id(session, "rapporteur2@example.org"),
        today + timedelta(days=30),
        today + timedelta(days=40),
    )
    spare = accounts.create_user(
        session,
        email=SPARE_EMAIL,
        name="Compte Jetable",
        password="inventaire",
        roles=(),
        enforce_policy=False,
    )
    session.commit()
    # Two webhooks made as an administrator makes them (their secret needs the app's key), one
    # for the pages' cases and one for the API's (each deletes its own), and a delivery of each.
    administrator = new_browser()
    administrator.login("admin@example.org")
    for where in ("pages", "api"):
        made = administrator.post(
            "/admin/webhooks/nouveau",
            {"url": f"https://{where}.example.org/recepteur", "events": [EventType.FICHE_PUBLIEE]},
        )
        assert made.status_code == 200, made.get_data(as_text=True)[:500]
    session.rollback()
    hooks = list(session.scalars(select(WebhookSubscription.id).order_by(WebhookSubscription.id)))
    deliveries = outbox.emit(session, EventType.FICHE_PUBLIEE, {"fiche": {"numero": numero}}, None)
    session.commit()
    delivery_of = {row.subscription_id: row.id for row in deliveries}

    def first(query: object) -> str:
        found = session.scalar(query)  # type: ignore[call-overload]
        assert found is not None, str(query)
        return str(found)

    def piece_of(instance_id: int | None) -> str:
        return first(
            select(Document.id)
            .where(Document.instance_id == instance_id, Document.modele.is_(None))
            .order_by(Document.id)
        )

    seance = first(select(Seance.id))
    ids = {
        "numero": numero,
        "token": token,
        "wrong_token": token[:-1] + ("0" if token[-1] != "0" else "1"),
        "a_dossier": str(a_dossier),
        "a_complements": str(complements.dossier_id),
        "a_task": str(open_item(session, complements.dossier_id, "completer_demande")),
        "x_task": str(open_item(session, a_dossier, "instruire_demande")),
        "a_draft": str(draft),
        "a_piece": piece_of(a_dossier),
        "b_dossier": str(walker_b.dossier_id),
        "b_piece": piece_of(walker_b.dossier_id),
        "a_message_piece": first(select(MessagePiece.id).join(Message)),
        "a_annotation_piece": first(select(AnnotationPiece.id).join(Annotation)),
        "a_opinion_piece": first(select(AvisExpertPiece.id)),
        "a_invitation": first(
            select(InvitationExpert.id).where(
                InvitationExpert.expert_email == "expert.deux@example.org"
            )
        ),
        "seance": seance,
        "inscription": first(select(Inscription.id).where(Inscription.seance_id == int(seance))),
        "view": str(view.id),
        "export": str(export.id),
        "x_absence": str(absence.id),
        "spare_user": str(spare.id),
        "webhook": str(hooks[0]),
        "delivery": str(delivery_of[hooks[0]]),
        "api_webhook": str(hooks[1]),
        "api_delivery": str(delivery_of[hooks[1]]),
        "email": first(select(Email.id)),
        "job": first(select(Job.id)),
    }
    a_secrets = (a_walker.reference or "", MESSAGE_A, ANNOTATION_A)
    secrets = {
        "a_dossier": a_secrets,
        "x_task": a_secrets,
        "a_complements": (complements.reference or "",),
        "a_task": (complements.reference or "",),
        "a_draft": (DRAFT_TITLE,),
        "a_message_piece": (MESSAGE_A,),
        "a_annotation_piece": (ANNOTATION_A,),
    }
    browsers: dict[str, Browser] = {}
    for name, email in PRINCIPALS.items():
        browser = new_browser()
        if email is not None:
            browser.login(email)
        browsers[name] = browser
    browsers["expert"] = expert
    assert expert.get(f"/avis-expert/{token}").status_code == 303
    world = World(ids, secrets)
    make_tokens(session, world)
    return world, browsers


def make_tokens(session: Session, world: World) -> None:
    """Each signed-in principal's tokens, made by the engine as *Mon compte* makes them."""
    session.rollback()
    for name, email in PRINCIPALS.items():
        if email is None:
            continue
        user = session.get(User, user_id(session, email))
        assert user is not None
        scopes = {"lecture", "ecriture"} | (
            {"admin"} if name in ("proprietaire", "admin") else set()
        )
        world.bearers[name] = new_token(session, user, "Matrice", scopes)[0]
        world.read_only[name] = new_token(session, user, "Matrice lecture", {"lecture"})[0]
        if name == "rapporteur_x":
            world.ids["x_spare_token"] = new_token(session, user, "À révoquer", {"lecture"})[1]
            world.ids["x_other_token"] = new_token(session, user, "Révoqué", {"lecture"})[1]
    world.bearers["expert"] = api_tokens.PREFIX + "inconnu" * 6
    session.commit()


def new_token(session: Session, user: User, name: str, scopes: set[str]) -> tuple[str, str]:
    """A token of `user`: its secret and its id."""
    made = api_tokens.create(
        session, Actor.from_user(user), user, name=name, scopes=scopes, days=30
    )
    return made.secret, str(made.token.id)


@pytest.fixture
def world(
    browser_factory: NewBrowser, session: Session
) -> Iterator[tuple[World, dict[str, Browser]]]:
    yield build_world(browser_factory, session)
    session.rollback()
    spare = session.scalar(select(User.id).where(User.email == SPARE_EMAIL))
    if spare is not None:
        session.execute(delete(UserRole).where(UserRole.user_id == spare))
        session.execute(delete(User).where(User.id == spare))
        session.commit()


def refused(response: TestResponse) -> bool:
    if response.status_code in REFUSED:
        return True
    location = response.headers.get("Location", "")
    return response.status_code in (302, 303) and "/connexion" in location


def readable(response: TestResponse) -> str:
    """The body as read: a JSON body's text unescaped too (\\u00e8 is è to its reader)."""
    body = response.get_data(as_text=True)
    if response.is_json:
        body += json.dumps(response.get_json(silent=True), ensure_ascii=False)
    return body


class Matrix:
    def __init__(self, world: World, browsers: dict[str, Browser], api: FlaskClient) -> None:
        self.world = world
        self.browsers = browsers
        self.api = api
        self.tokens: dict[str, str] = {}
        self.failures: list[str] = []
        self.tried = 0

    def token(self, principal: str) -> str:
        if principal not in self.tokens:
            browser = self.browsers[principal]
            page = "/connexion" if PRINCIPALS[principal] is None else "/compte/"
            self.tokens[principal] = browser.csrf(page)
        return self.tokens[principal]

    def send(self, principal: str, case: Case, path: str) -> TestResponse:
        client = self.browsers[principal].client
        self.tried += 1
        if case.api:
            response = self.send_api(principal, case, path)
        elif case.method == "GET":
            response = client.get(path)
        else:
            data = dict(case.data)
            data["csrf_token"] = self.token(principal)
            response = client.open(path, method=case.method, data=data)
        response.get_data()
        response.close()
        return response

    def send_api(self, principal: str, case: Case, path: str) -> TestResponse:
        """With no cookie (a client of its own) and the principal's token."""
        tokens = self.world.read_only if case.read_only else self.world.bearers
        headers = {}
        if principal in tokens:
            headers["Authorization"] = f"Bearer {tokens[principal]}"
        return self.api.open(path, method=case.method, json=case.json, headers=headers)

    def secrets_of(self, case: Case, placeholders: tuple[str, ...] | None = None) -> set[str]:
        names = placeholders if placeholders is not None else self._placeholders(case)
        return {secret for name in names for secret in self.world.secrets.get(name, ()) if secret}

    def _placeholders(self, case: Case) -> tuple[str, ...]:
        return tuple(name for name in self.world.ids if "{" + name + "}" in case.path)

    def refuse(self, principal: str, case: Case) -> None:
        path = self.world.path(case.refused_path or case.path)
        response = self.send(principal, case, path)
        where = f"{principal} {case.method} {path}"
        if not refused(response):
            self.failures.append(f"LEAK {where}: {response.status_code}, expected a refusal")
            return
        body = readable(response)
        for secret in self.secrets_of(case):
            if secret in body:
                self.failures.append(f"LEAK {where}: the refusal shows « {secret} »")
        if case.api and (
            response.status_code not in API_REFUSED
            or response.mimetype != "application/problem+json"
        ):
            self.failures.append(
                f"WRONG REFUSAL {where}: {response.status_code} {response.mimetype}"
            )
        if case.read_only and principal in self.world.read_only:
            detail = str((response.json or {}).get("detail", ""))
            if response.status_code != 403 or "portée" not in detail:
                self.failures.append(f"SCOPE {where}: {response.status_code}, expected 403")

    def allow(self, principal: str, case: Case) -> None:
        path = self.world.path(case.path)
        response = self.send(principal, case, path)
        where = f"{principal} {case.method} {path}"
        # A public page may send anyone to the sign-in page (a code asked with no password).
        signin = case.allowed != EVERYONE and refused(response)
        if response.status_code not in case.ok or signin:
            self.failures.append(
                f"OVER-DENIAL {where}: {response.status_code}, expected {sorted(case.ok)}"
            )
            return
        if principal in case.hidden_from:
            body = readable(response)
            for secret in self.secrets_of(case, case.hidden):
                if secret in body:
                    self.failures.append(f"LEAK {where}: shows « {secret} »")


@pytest.mark.usefixtures("restore")  # the studio's actions leave a draft of the recensement
def test_no_route_leaks_to_or_is_denied_to_the_wrong_principal(
    world: tuple[World, dict[str, Browser]], session: Session, app: Flask
) -> None:
    matrix = Matrix(*world, app.test_client())
    ids = matrix.world.ids
    before = [snapshot(session, int(ids[name])) for name in ("a_dossier", "a_complements")]
    # Every refusal first (nothing may change), and the allowed reads.
    for case in CASES:
        for principal in PRINCIPALS:
            if principal not in case.allowed:
                matrix.refuse(principal, case)
            elif case.method == "GET":
                matrix.allow(principal, case)
    after = [snapshot(session, int(ids[name])) for name in ("a_dossier", "a_complements")]
    assert before == after, "a refused request changed a dossier"
    # Then the allowed actions (empty forms: refused by their content, never by who sends them).
    actions = sorted((case for case in CASES if case.method != "GET"), key=lambda c: c.order)
    for case in actions:
        for principal in sorted(case.allowed):
            matrix.allow(principal, case)
    assert matrix.tried > 1000
    assert not matrix.failures, f"{len(matrix.failures)} failures:\n" + "\n".join(matrix.failures)
