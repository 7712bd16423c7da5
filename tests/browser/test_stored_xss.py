"""Stored XSS, checked in Chromium: a script-and-markup payload typed into every text field a
user fills (the filing form, the complements' answer, the reviewers' comments and
motivations, messages, annotations, an expert's invitation and opinion, a séance's place and
link, an account's and an organisation's name, a saved view's name), then every page that
shows them opened in the browser. No script runs (the payload's `window.__xss` stays
undefined, no dialog opens), no element of the payload reaches the DOM (no `<img src=x>`,
no script naming `__xss`, no `javascript:` link) and the payload reads as text."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Dialog, Page
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.models import Email, Organisation, OrganisationKind, Seance, User, UserRole
from engine.people import accounts
from engine.workflow.worklists import saved_views
from tests.browser.conftest import login
from tests.dossiers import SCENARIOS, user_id
from tests.experts import emails_to, invite, link_path
from tests.messagerie import write
from tests.support import Browser, text_of
from tests.walk import Walker, form_of

NewBrowser = Callable[[], Browser]
PAYLOAD = '"><img src=x onerror=window.__xss=1><script>window.__xss=1</script>'
# What must show as text wherever the payload is rendered.
SHOWN = "<script>window.__xss=1</script>"
LINK_PAYLOAD = "javascript:window.__xss=1"
ATTRIBUTE_PAYLOAD = 'https://visio.example.org/"><img/src=x/onerror=window.__xss=1>'


IN_PAGE = r"""() => ({
  xss: window.__xss,
  img: document.querySelectorAll('img[src="x"]').length,
  script: [...document.scripts].some((s) => s.textContent.includes('__xss')),
  javascript: [...document.querySelectorAll('a[href], iframe[src], form[action]')].some(
    (e) => (e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || '')
      .trim().toLowerCase().startsWith('javascript:')),
  text: document.body.innerText + '\n' +
    [...document.querySelectorAll('input, textarea')].map((e) => e.value).join('\n'),
})"""


def poisoned(task: str, data: dict[str, Any]) -> dict[str, Any]:
    """The step's data with the payload added to each free text field that has room for it."""
    form = form_of(task)
    result = dict(data)
    for name, value in data.items():
        spec = form.get_field(name)
        free = spec.widget in ("text", "textarea") and not (spec.pattern or spec.format)
        room = spec.max_length is None or len(str(value)) + len(PAYLOAD) + 1 <= spec.max_length
        if isinstance(value, str) and free and room and not name.startswith("code"):
            result[name] = f"{value} {PAYLOAD}"
    return result


def play(walker: Walker, scenario: str, steps: int | None = None) -> None:
    for step in SCENARIOS[scenario].steps[:steps]:
        data = poisoned(step.task, step.data) if step.task else step.data
        walker.step(step.task, data, step.timer)


def check(page: Page, url: str, *, shown: bool = True) -> None:
    page.goto(url)
    page.wait_for_load_state()
    found = page.evaluate(IN_PAGE)
    assert found["xss"] is None, f"a script ran on {url}"
    assert found["img"] == 0, f"the payload's <img> reached the DOM of {url}"
    assert not found["script"], f"the payload's <script> reached the DOM of {url}"
    assert not found["javascript"], f"a javascript: link on {url}"
    if shown:
        assert SHOWN in found["text"], f"the payload is not shown as text on {url}"


def test_no_stored_script_runs_on_any_page(
    page: Page, live_server: str, browser_factory: NewBrowser, session: Session
) -> None:
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    # A dossier recensed and published with the payload in its filing form, the reviewers'
    # comments, the commission's motivation and the decision's.
    recensed = Walker(browser_factory, "ministere")
    play(recensed, "favorable")
    recensed.run_jobs()
    fiche = text_of(recensed.demandeur.get(f"/demandes/{recensed.dossier_id}"))
    numero = re.search(r"Numéro à l'Inventaire (INV\d{5})", fiche)
    assert numero, fiche[:2000]
    # A dossier asked for complements, answered with the payload.
    answered = Walker(browser_factory, "ministere")
    play(answered, "complements_recevabilite_puis_instruction", 3)
    dossier = answered.dossier_id
    assert write(answered.demandeur, f"/demandes/{dossier}/messages", PAYLOAD).status_code == 302
    secretariat = answered.as_user("recevabilite@example.org")
    staff = f"/instruction/dossiers/{dossier}"
    assert write(secretariat, f"{staff}/messages", PAYLOAD).status_code == 302
    assert write(secretariat, f"{staff}/annotations", PAYLOAD).status_code == 302
    invited = invite(secretariat, dossier, name=f"Experte {PAYLOAD}"[:200], message=PAYLOAD)
    assert invited.status_code == 302
    # A séance: a javascript: link as its visio is refused; the payload as its place, and an
    # https link that tries to close its attribute, are kept (and must be shown harmless).
    fields = {"date": "2031-05-06", "heure": "10:00", "lieu": PAYLOAD}
    refused = secretariat.post("/seances/nouvelle", fields | {"lien_visio": LINK_PAYLOAD})
    assert refused.status_code == 422, text_of(refused)[:1000]
    assert "commence par https://" in text_of(refused)
    created = secretariat.post("/seances/nouvelle", fields | {"lien_visio": ATTRIBUTE_PAYLOAD})
    assert created.status_code == 302, text_of(created)[:1000]
    # An account, an organisation and a saved view named with the payload.
    session.rollback()
    accounts.create_organisation(session, kind=OrganisationKind.CPNE, name=f"CPNE {PAYLOAD}")
    accounts.create_user(
        session,
        email="charge.xss@example.org",
        name=f"Agent {PAYLOAD}",
        password="inventaire",
        roles=("rapporteur",),
        enforce_policy=False,
    )
    agent = session.get(User, user_id(session, "recevabilite@example.org"))
    assert agent is not None
    saved_views.save(session, Actor.from_user(agent), "dossiers", PAYLOAD, {"q": "a"})
    session.commit()
    try:
        answered.run_jobs()
        link = link_path(emails_to(session, "elise.experte@universite-exemple.fr")[0])
        seance = session.scalar(select(Seance.id).where(Seance.lieu == PAYLOAD))
        held = session.scalar(select(Seance.id).where(Seance.lieu != PAYLOAD))
        email = session.scalar(select(Email.id).where(Email.body.contains("__xss")))
        pages(page, live_server, dossier, recensed.dossier_id, numero.group(1), link)
        expert = browser_factory()
        expert.get(link)
        opinion = expert.post(
            "/avis-expert/",
            {"texte": PAYLOAD},
            from_page="/avis-expert/",
            content_type="multipart/form-data",
        )
        assert opinion.status_code in (302, 303), text_of(opinion)[:1000]
        check(page, f"{live_server}/connexion", shown=False)
        login(page, live_server, "recevabilite@example.org")
        for url in (
            "/instruction/",
            "/instruction/dossiers",
            f"/instruction/dossiers?q={dossier}",
            f"/instruction/dossiers/{dossier}",
            f"/instruction/dossiers/{recensed.dossier_id}",
            "/seances/",
            f"/seances/{seance}",
            f"/seances/{seance}/modifier",
            f"/seances/{held}/proces-verbal",
            "/absences/",
        ):
            check(page, live_server + url, shown=url not in ("/absences/", "/seances/"))
        page.context.clear_cookies()
        login(page, live_server, "admin@example.org")
        check(page, f"{live_server}/admin/comptes")
        check(page, f"{live_server}/admin/organisations")
        check(page, f"{live_server}/admin/courriels", shown=False)
        if email is not None:
            check(page, f"{live_server}/admin/courriels/{email}")
    finally:
        session.rollback()
        agent_id = session.scalar(select(User.id).where(User.email == "charge.xss@example.org"))
        session.execute(delete(UserRole).where(UserRole.user_id == agent_id))
        session.execute(delete(User).where(User.id == agent_id))
        session.execute(delete(Organisation).where(Organisation.name == f"CPNE {PAYLOAD}"))
        session.commit()
    assert dialogs == []


def pages(
    page: Page, server: str, dossier: int | None, recensed: int | None, numero: str, link: str
) -> None:
    """The public register, the expert's page and the submitter's pages."""
    for url in ("/registre", "/registre?q=habilitation", f"/registre/{numero}"):
        check(page, server + url)
    check(page, server + link)
    login(page, server, "demandeur@example.org")
    for url in ("/demandes/", f"/demandes/{dossier}", f"/demandes/{recensed}"):
        check(page, server + url)
    page.context.clear_cookies()
