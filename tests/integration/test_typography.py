"""French typography, as the users read it: every page their browsers receive while they walk the
dossiers of each procedure (the submitter's, the reviewers', each step's task page, the dossier
pages with their history), the public register, the sign-in, the administration and the studio,
the error pages, and every email sent. The rules are in tests/typography.py; the convention in
docs/glossary.md (*Typography*)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from freezegun import freeze_time
from lxml import html as lxml_html
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.clock import PARIS, add_months, utcnow
from engine.core.models import Email, InvitationExpert, RegisterEntry
from engine.core.typography import date_filter
from engine.emails.templates import PARTIAL_PREFIX, TEMPLATES_DIR
from engine.register.opendata.importer import import_fiches
from engine.studio.scenario import Scenario, load_scenarios
from engine.workflow import retention
from tests.clock import run_worker_at
from tests.dossiers import data_of, open_item, walk_until
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
from tests.integration.test_admin_jobs import failed_job
from tests.integration.test_diagram_code import start as start_dossier
from tests.messagerie import write
from tests.models_fixtures import script_after_task
from tests.recensed import recensed, sessions_of
from tests.seances import create_seance, inscribe_on_task_page, seance_fields
from tests.support import Browser, pdf
from tests.typography import NNBSP, Fault, email_faults, page_faults, text_faults
from tests.walk import INVENTAIRE, PROCESSES, RS, Walker

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "rs-open-data-sample.xml"
SCENARIOS = {
    folder: {scenario.name: scenario for scenario in load_scenarios(PROCESSES / folder)}
    for folder in ("recensement", "retrait", "enregistrement-rs", "retrait-rs")
}
# The emails a séance moved sends (test_a_moved_seance_reads_in_french).
SEANCE_EMAILS = {"seance_deplacee", "seance_deplacee_rapporteur"}
# The emails each procedure's walks send (every template but the sign-in lock's, which
# test_the_sign_in_pages_and_the_lock_email_read_in_french sends).
SENT_BY = {
    "recensement": {
        "accuse_depot",
        "demande_recevable",
        "complements_demandes",
        "rappel_complements",
        "classee_sans_suite",
        "irrecevable",
        "inscription_ordre_du_jour",
        "inscription_ordre_du_jour_rapporteur",
        "ajournement",
        "decision",
        "publication",
        "rappel_instruction",
        "tache_en_attente",
    },
    "retrait": {"retrait_envisage", "retrait_audition", "retrait_maintien", "retrait_prononce"},
    "rs": {
        "rs_accuse_depot",
        "rs_complements_demandes",
        "rs_classee_sans_suite",
        "rs_irrecevable",
        "rs_decision",
        "rs_publication",
        "rs_retrait_envisage",
        "rs_retrait_maintien",
        "rs_retrait_prononce",
    },
}
LOCK_EMAIL = "connexions_suspendues"
RESET_EMAIL = "reinitialisation_mot_de_passe"
# The notice of an abandoned draft's deletion, which test_the_retention_pages_read_in_french sends.
RETENTION_EMAIL = "brouillon_suppression"
# The messagerie's, which test_the_messagerie_reads_in_french sends.
MESSAGE_EMAILS = {"message_demandeur", "message_instruction"}
# The avis d'experts', which test_the_avis_experts_read_in_french sends.
EXPERT_EMAILS = {
    "avis_expert_invitation",
    "avis_expert_rappel",
    "avis_expert_expiration",
    "avis_expert_rendu",
}


def _typed(value: Any) -> Iterator[str]:
    """The texts a user typed in a scenario (free text: not the values of a choice)."""
    if isinstance(value, str):
        # A page shows each line of a long text on its own (the line breaks become spaces).
        for line in value.splitlines():
            if " " in line.strip() or len(line) > 20:
                yield line.strip()
    elif isinstance(value, dict):
        for item in value.values():
            yield from _typed(item)
    elif isinstance(value, list):
        for item in value:
            yield from _typed(item)


# What users typed is theirs, not ours to set in type: the rules skip it.
TYPED = sorted(
    {
        text
        for scenarios in SCENARIOS.values()
        for scenario in scenarios.values()
        for text in _typed([step.data for step in scenario.steps] + [scenario.start_data])
    }
)
NUMBER = re.compile(r"/\d+")


@dataclass
class Reader:
    """Every page a test's browsers receive, read; the faults found, each once."""

    hidden: list[str] = field(default_factory=lambda: list(TYPED))
    faults: dict[tuple[str, str], Fault] = field(default_factory=dict)
    pages: set[str] = field(default_factory=set)

    def read(self, method: str, url: str, response: TestResponse) -> None:
        if not response.content_type.startswith("text/html") or 300 <= response.status_code < 400:
            return  # a redirection's body is Werkzeug's, never shown
        path = NUMBER.sub("/<n>", url.split("?")[0])
        where = f"{method} {path} ({response.status_code})"
        self.pages.add(where)
        assert response.status_code < 500, where
        self.keep(page_faults(response.get_data(as_text=True), where, self.hidden))

    def keep(self, faults: Iterable[Fault]) -> None:
        for found in faults:
            self.faults.setdefault((found.rule, found.excerpt), found)

    def check(self) -> None:
        assert not self.faults, f"{len(self.faults)} fautes :\n" + "\n".join(
            str(found) for found in self.faults.values()
        )

    def saw(self, *pages: str) -> None:
        """These pages (`GET /registre (200)`) were read."""
        missing = set(pages) - self.pages
        assert not missing, f"pages not read: {sorted(missing)}; read: {sorted(self.pages)}"


@dataclass
class ReadingBrowser(Browser):
    """A user's browser whose every page is read for typography."""

    reader: Reader | None = None

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        response = super().get(url, **kwargs)
        if self.reader:
            self.reader.read("GET", url, response)
        return response

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        from_page: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        response = super().post(url, data, from_page=from_page, **kwargs)
        if self.reader:
            self.reader.read("POST", url, response)
        return response


NewBrowser = Callable[[], Browser]


@pytest.fixture
def reader() -> Reader:
    return Reader()


@pytest.fixture
def reading(app: Flask, reader: Reader) -> NewBrowser:
    return lambda: ReadingBrowser(app.test_client(), reader=reader)


def signed_in(new_browser: NewBrowser, email: str) -> Browser:
    browser = new_browser()
    browser.login(email)
    return browser


def read_emails(
    app: Flask, session: Session, reader: Reader, at: datetime | None = None
) -> set[str]:
    """The worker sends what is due; every email's subject and body are read. Their templates."""
    run_worker_at(app.extensions["db_sessions"], at or datetime.now(UTC))
    session.rollback()
    templates = set()
    for email in session.scalars(select(Email)):
        templates.add(email.template)
        reader.keep(
            email_faults(email.subject, email.body, f"courriel {email.template}", reader.hidden)
        )
    return templates


def look_around(walker: Walker) -> None:
    """Each user of the dossier reads its page and their lists; the submitter, the tasks the
    dossier page offers."""
    walker.run_jobs()
    for browser in walker.browsers.values():
        if browser is walker.demandeur:
            browser.get("/demandes/")
            page = browser.get(f"/demandes/{walker.dossier_id}").get_data(as_text=True)
            for task in set(re.findall(r'href="(/demandes/\d+/taches/\d+)"', page)):
                browser.get(task)
        else:
            browser.get("/instruction/")
            browser.get(f"/instruction/dossiers/{walker.dossier_id}")
            browser.get("/instruction/dossiers")
            listing = browser.get("/seances/")
            if listing.status_code == 200:
                body = listing.get_data(as_text=True)
                for path in set(re.findall(r'href="(/seances/\d+)"', body)):
                    browser.get(path)
                    browser.get(f"{path}/proces-verbal")
                    browser.get(f"{path}/modifier")


def open_retrait(
    walker: Walker, numero: str, opener: str, processes: tuple[str, ...], organisation: str
) -> Walker:
    """The retrait engaged from the fiche by `opener`: the walker of that dossier."""
    browser = walker.as_user(opener)
    opened = browser.post(f"/registre/{numero}/retrait", from_page=f"/registre/{numero}")
    assert opened.status_code == 302, opened.status_code
    shown = browser.get(opened.headers["Location"]).get_data(as_text=True)
    dossier = re.search(r"/instruction/dossiers/(\d+)", shown)
    reference = re.search(r"(RET-[A-Z]+\d+-\d+)", shown)
    assert dossier and reference
    retrait = Walker(walker.new_browser, organisation, processes)
    retrait.browsers = walker.browsers
    retrait.dossier_id = int(dossier.group(1))
    retrait.reference = reference.group(1)
    return retrait


def without_account(session: Session, numero: str) -> None:
    """The certifier has no account: the entry's dossier belongs to no organisation any more."""
    session.rollback()
    entry = session.scalar(select(RegisterEntry).where(RegisterEntry.numero == numero))
    assert entry is not None
    entry.instance_id = None
    entry.certificateurs = {"certificateurs": [{"nom": "Organisme sans compte"}]}
    session.commit()


# --- the procedures, walked by their users ----------------------------------------------------


def test_every_recensement_scenario_reads_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    for scenario in SCENARIOS["recensement"].values():
        walker = Walker(reading, scenario.organisation)
        walker.play(scenario)
        look_around(walker)
    sent = read_emails(app, session, reader)
    assert sent >= SENT_BY["recensement"], SENT_BY["recensement"] - sent
    reader.saw(
        "GET /demandes/ (200)",
        "GET /demandes/<n>/saisie/identification (200)",
        "GET /demandes/<n> (200)",
        "GET /demandes/<n>/taches/<n> (200)",
        "GET /instruction/ (200)",
        "GET /instruction/taches/<n> (200)",
        "GET /instruction/dossiers (200)",
        "GET /instruction/dossiers/<n> (200)",
        "GET /seances/ (200)",
        "GET /seances/<n> (200)",
        "GET /seances/<n>/proces-verbal (200)",
    )
    reader.check()


def test_every_retrait_scenario_reads_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    for scenario in SCENARIOS["retrait"].values():
        walker, numero = recensed(reading)
        if scenario.start_data.get("certificateur_connu") is False:
            without_account(session, numero)
        # The certifier of the recensed entry answers (its organisation filed the dossier).
        retrait = open_retrait(
            walker, numero, "commission@example.org", INVENTAIRE, walker.organisation
        )
        retrait.play(scenario)
        look_around(retrait)
        reading().get(f"/registre/{numero}")  # the fiche, withdrawn or kept
    sent = read_emails(app, session, reader)
    assert sent >= SENT_BY["retrait"], SENT_BY["retrait"] - sent
    reader.check()


def test_instructions_write_dates_in_words(reading: NewBrowser, session: Session) -> None:
    """The commission's instructions read the session's date as a person writes it, not the
    form's `2030-03-14`; a renewal's, the end date of the certification it renews."""
    walker = walk_until(reading, "deliberer")
    walker.pass_time("attendre_seance")
    commission = walker.as_user("commission@example.org")
    item = open_item(session, walker.dossier_id, "deliberer")
    page = commission.get(f"/instruction/taches/{item}").get_data(as_text=True)
    instructions = lxml_html.document_fromstring(page).find_class("fr-callout__text")[0]
    assert instructions.text_content().startswith("Séance du 14 mars 2030.")
    assert "2030-03-14" not in instructions.text_content()

    _walker, numero = recensed(reading)
    session.rollback()
    entry = session.scalar(select(RegisterEntry).where(RegisterEntry.numero == numero))
    assert entry is not None and entry.fin_validite is not None
    renewal = _walker.demandeur.post(
        f"/registre/{numero}/renouvellement", from_page=f"/registre/{numero}"
    )
    draft = re.search(r"/demandes/(\d+)/saisie", renewal.headers["Location"])
    assert draft
    renewing = Walker(reading, _walker.organisation)
    renewing.browsers = _walker.browsers
    renewing.deposer_brouillon(int(draft.group(1)), data_of("favorable", "saisir_demande"))
    agent = renewing.as_user("recevabilite@example.org")
    item = open_item(session, renewing.dossier_id, "examiner_recevabilite")
    page = agent.get(f"/instruction/taches/{item}").get_data(as_text=True)
    end = date_filter(entry.fin_validite)
    assert f"Demande de renouvellement de la certification {numero} (fin de validité le {end})" in (
        " ".join(lxml_html.document_fromstring(page).text_content().split())
    )


def registered(new_browser: NewBrowser, scenario: Scenario) -> tuple[Walker, str | None]:
    """An RS scenario walked through HTTP by its four kinds of users; the number published."""
    walker = Walker(new_browser, "certificateur", RS)
    walker.play(scenario)
    look_around(walker)
    page = walker.demandeur.get(f"/demandes/{walker.dossier_id}").get_data(as_text=True)
    match = re.search(r"(RS9\d{4})", page)
    return walker, match.group(1) if match else None


def test_the_repertoire_specifique_reads_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    numeros = []
    for scenario in SCENARIOS["enregistrement-rs"].values():
        walker, numero = registered(reading, scenario)
        if numero:
            numeros.append((walker, numero))
    # Complements asked and never answered: the request is closed.
    walker = Walker(reading, "certificateur", RS)
    walker.step("deposer_demande", data_of_rs("favorable", "deposer_demande"))
    walker.step(
        "examiner_recevabilite",
        {"decision": "complements", "complements_demandes": "Le bulletin n° 3 manque."},
    )
    look_around(walker)  # the submitter opens Compléter la demande
    walker.pass_time("delai_complements_echu")
    look_around(walker)

    for name, scenario in SCENARIOS["retrait-rs"].items():
        first, numero = (
            numeros.pop()
            if numeros
            else registered(reading, SCENARIOS["enregistrement-rs"]["favorable"])
        )
        assert numero, name
        if scenario.start_data.get("certificateur_connu") is False:
            without_account(session, numero)
        retrait = open_retrait(first, numero, "rapporteur@example.org", RS, "certificateur")
        retrait.play(scenario)
        look_around(retrait)
        reading().get(f"/registre/{numero}")
    sent = read_emails(app, session, reader)
    assert sent >= SENT_BY["rs"], SENT_BY["rs"] - sent
    reader.check()


def data_of_rs(scenario: str, task: str) -> dict[str, Any]:
    steps = [step for step in SCENARIOS["enregistrement-rs"][scenario].steps if step.task == task]
    return dict(steps[0].data)


def test_a_moved_seance_reads_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    """The séance's pages, and the emails that tell a séance moved."""
    walker = walk_until(reading, "inscrire_ordre_du_jour")
    secretariat = walker.as_user("recevabilite@example.org")
    first = create_seance(secretariat, datetime.now(UTC) + timedelta(days=20))
    item = open_item(session, walker.dossier_id, "inscrire_ordre_du_jour")
    assert inscribe_on_task_page(walker, first, item) == 302
    moved = secretariat.post(
        f"/seances/{first}/modifier", seance_fields(datetime.now(UTC) + timedelta(days=27))
    )
    assert moved.status_code == 302
    look_around(walker)
    assert read_emails(app, session, reader) >= SEANCE_EMAILS
    reader.saw("GET /seances/<n> (200)", "GET /seances/<n>/proces-verbal (200)")
    reader.check()


def test_every_email_template_is_read_by_a_walk() -> None:
    names = {
        path.stem
        for path in TEMPLATES_DIR.glob("*.txt")
        if not path.name.startswith(PARTIAL_PREFIX)
    }
    walked = (
        set().union(*SENT_BY.values())
        | {LOCK_EMAIL, RESET_EMAIL, RETENTION_EMAIL}
        | MESSAGE_EMAILS
        | EXPERT_EMAILS
        | SEANCE_EMAILS
    )
    assert names == walked, names ^ walked


# --- the public register ----------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        for line in value.splitlines():
            if line.strip():
                yield line.strip()
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def imported_texts(session: Session) -> list[str]:
    """What France compétences' fiches say: their text, not ours to set in type."""
    session.rollback()
    texts: list[str] = []
    for entry in session.scalars(select(RegisterEntry).where(RegisterEntry.source == "import")):
        texts += _strings(
            [
                entry.intitule,
                entry.content,
                entry.certificateurs,
                entry.autorite_legitime or "",
                entry.motif_retrait or "",
            ]
        )
    return texts


def test_the_public_register_reads_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    walker, numero = recensed(reading)
    import_fiches(session, SAMPLE)
    session.commit()
    reader.hidden += imported_texts(session)
    session.rollback()
    numeros = list(session.scalars(select(RegisterEntry.numero).order_by(RegisterEntry.numero)))
    # One ended and one withdrawn, with their dates and reason.
    ended, withdrawn = (
        session.scalar(select(RegisterEntry).where(RegisterEntry.numero == number))
        for number in numeros[-2:]
    )
    assert ended is not None and withdrawn is not None
    ended.statut, ended.statut_change_le = "echue", datetime(2025, 3, 1, 12, tzinfo=UTC)
    withdrawn.statut, withdrawn.statut_change_le = "retiree", datetime(2025, 9, 2, 12, tzinfo=UTC)
    withdrawn.motif_retrait = "Le certificateur ne délivre plus la certification."
    reader.hidden.append(withdrawn.motif_retrait)
    session.commit()

    visitor = reading()
    visitor.get("/")
    for query in (
        "",
        "?q=formation",
        "?q=zzzzzz",
        "?registre=rs",
        "?registre=inventaire&categorie=A",
        "?statut=echue",
        "?statut=retiree",
        "?tri=date",
        f"?q={numero}",
    ):
        assert visitor.get(f"/registre{query}").status_code == 200, query
    for number in numeros:
        assert visitor.get(f"/registre/{number}").status_code == 200, number
    # The certifier's submitter and the commission see the fiche's buttons.
    walker.demandeur.get(f"/registre/{numero}")
    walker.as_user("commission@example.org").get(f"/registre/{numero}")
    reader.saw("GET / (200)", "GET /registre (200)", "GET /registre/INV00001 (200)")
    reader.check()


def test_a_result_card_keeps_the_spaces_around_its_dates(
    reading: NewBrowser, session: Session
) -> None:
    add_entries(session, 1)
    body = reading().get("/registre").get_data(as_text=True)
    card = lxml_html.document_fromstring(body).find_class("fr-card__end")[0]
    assert " ".join(card.text_content().split()) == (
        "Décision du 01/01/2024 · valable jusqu'au 01/01/2029"
    )


def add_entries(session: Session, count: int) -> None:
    """`count` certifications written straight into the register, as an import would."""
    day = datetime(2024, 1, 1, 12, tzinfo=UTC)
    session.execute(
        insert(RegisterEntry),
        [
            {
                "numero": f"INV{90000 + index:05d}"[:8],
                "intitule": f"Certification de test {index}",
                "categorie": "C",
                "registre": "inventaire",
                "certificateurs": {"certificateurs": [{"nom": "Organisme de test"}]},
                "autorite_legitime": "CPNE de test",
                "content": {},
                "date_decision": day,
                "debut_validite": day,
                "fin_validite": day.replace(year=2029),
                "statut": "active",
                "source": "import",
            }
            for index in range(count)
        ],
    )
    session.commit()


def test_counts_of_five_digits_are_set_apart_by_a_narrow_space(
    reading: NewBrowser, reader: Reader, session: Session
) -> None:
    add_entries(session, 10_000)
    page = reading().get("/registre?tri=date").get_data(as_text=True)
    assert f"10{NNBSP}000 certifications trouvées" in page
    assert "Page 1 sur 500," in page
    reader.check()


def test_the_register_s_files_are_named_after_the_day_in_paris(reading: NewBrowser) -> None:
    visitor = reading()
    # 23:30 UTC on New Year's Eve is already the next year in Paris.
    with freeze_time("2026-12-31 23:30:00+00:00"):
        for suffix in ("csv", "xml"):
            response = visitor.get(f"/registre/export.{suffix}")
            assert response.headers["Content-Disposition"] == (
                f'attachment; filename="registre-inventaire-2027-01-01.{suffix}"'
            )


# --- signing in, the submitter's and the reviewers' other pages ------------------------------

WRONG = "pas-le-bon-mot-de-passe"


def test_the_sign_in_pages_and_the_lock_email_read_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    visitor = reading()
    visitor.get("/connexion")
    clock = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    for _ in range(60):  # wrong passwords, each wait waited, until the account is locked
        with freeze_time(clock):
            response = visitor.post(
                "/connexion", {"email": "demandeur3@example.org", "password": WRONG}
            )
        if response.status_code == 429:
            clock += timedelta(seconds=int(response.headers["Retry-After"]))
            continue
        assert response.status_code == 401
        if "suspendues pendant 15 minutes" in response.get_data(as_text=True):
            break
        clock += timedelta(seconds=1)
    with freeze_time(clock):
        refused = visitor.post(
            "/connexion", {"email": "demandeur3@example.org", "password": "inventaire"}
        )
    assert refused.status_code == 429
    run_worker_at(app.extensions["db_sessions"], clock)
    assert LOCK_EMAIL in read_emails(app, session, reader)
    reader.saw("GET /connexion (200)", "POST /connexion (401)", "POST /connexion (429)")
    reader.check()


def test_the_password_reset_pages_and_email_read_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    visitor = reading()
    visitor.get("/connexion/mot-de-passe-oublie")
    visitor.post("/connexion/mot-de-passe-oublie", {"email": ""})
    visitor.post("/connexion/mot-de-passe-oublie", {"email": "demandeur3@example.org"})
    assert RESET_EMAIL in read_emails(app, session, reader)
    body = session.scalars(select(Email).where(Email.template == RESET_EMAIL)).one().body
    found = re.search(r"https?://[^/\s]+(/connexion/nouveau-mot-de-passe/\S+)", body)
    assert found, body
    visitor.get(found.group(1))
    visitor.post(found.group(1), {"password": "court", "confirmation": "autre"})
    visitor.post(found.group(1), {"password": "court", "confirmation": "court"})
    visitor.get("/connexion/nouveau-mot-de-passe/1.2.3")
    reader.saw(
        "GET /connexion/mot-de-passe-oublie (200)",
        "POST /connexion/mot-de-passe-oublie (422)",
        "POST /connexion/mot-de-passe-oublie (200)",
        "GET /connexion/nouveau-mot-de-passe/<n>.2.3 (410)",
    )
    reader.check()


def test_the_two_factor_pages_read_in_french(reading: NewBrowser, reader: Reader) -> None:
    agent = reading()
    agent.login("rapporteur@example.org")
    page = agent.get("/compte/double-authentification").get_data(as_text=True)
    found = re.search(r'id="cle-secrete">([^<]+)<', page)
    assert found
    secret = found.group(1).replace(" ", "")
    now = datetime.now(UTC)
    agent.post("/compte/double-authentification", {"code": "abc"})
    agent.post("/compte/double-authentification", {"code": pyotp.TOTP(secret).at(now)})
    agent.get("/compte/double-authentification")
    agent.logout()
    agent.post("/connexion", {"email": "rapporteur@example.org", "password": "inventaire"})
    agent.get("/connexion/code")
    agent.post("/connexion/code", {"code": "000"})
    reader.saw(
        "GET /compte/double-authentification (200)",
        "POST /compte/double-authentification (422)",
        "POST /compte/double-authentification (200)",
        "GET /connexion/code (200)",
        "POST /connexion/code (401)",
    )


def test_the_retention_pages_read_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    """*Mon compte*, an account's deletion's confirmation, and the notice of an abandoned
    draft's deletion (sent by the real sweep, the clock moved to ten days before its time)."""
    submitter = reading()
    submitter.login("demandeur@example.org")
    submitter.post("/demandes/nouvelle", from_page="/demandes/")
    submitter.get("/compte/")
    admin = reading()
    admin.login("admin@example.org")
    admin.get("/admin/comptes/1/supprimer")
    notice_day = add_months(datetime.now(UTC), 6) - timedelta(days=10)
    with freeze_time(notice_day), app.extensions["db_sessions"]() as scheduling:
        retention.schedule(scheduling)
        scheduling.commit()
    assert RETENTION_EMAIL in read_emails(app, session, reader, at=notice_day)
    reader.saw("GET /compte/ (200)", "GET /admin/comptes/<n>/supprimer (200)")
    reader.check()


def test_the_submitter_s_other_pages_read_in_french(
    reading: NewBrowser, reader: Reader, session: Session
) -> None:
    walker, numero = recensed(reading)
    submitter = walker.demandeur
    # A draft with mistakes, filed too early, then deleted.
    created = submitter.post(
        "/demandes/nouvelle", {"processus": "recensement"}, from_page="/demandes/"
    )
    draft = re.search(r"/demandes/(\d+)/saisie", created.headers["Location"])
    assert draft
    url = f"/demandes/{draft.group(1)}/saisie"
    submitter.get(url)
    wrong = submitter.post(
        f"{url}/identification",
        {
            "intitule": "x" * 400,
            "certificateur_1_siret": "123",
            "contact_courriel": "pas une adresse",
            "_action": "suivant",
        },
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422
    early = submitter.post(
        f"{url}/evaluation_certification",
        {"_action": "deposer"},
        content_type="multipart/form-data",
    )
    assert early.status_code == 422
    submitter.get(f"/demandes/{draft.group(1)}/supprimer")
    submitter.post(f"/demandes/{draft.group(1)}/supprimer", from_page="/demandes/")
    # A renewal from the fiche, its end near: the warning about the delay.
    session.rollback()
    entry = session.scalar(select(RegisterEntry).where(RegisterEntry.numero == numero))
    assert entry is not None
    entry.fin_validite = datetime.now(UTC) + timedelta(days=60)
    session.commit()
    renewal = submitter.post(f"/registre/{numero}/renouvellement", from_page=f"/registre/{numero}")
    assert renewal.status_code == 302
    submitter.get(renewal.headers["Location"])
    # The certifier offered both registers' procedures.
    signed_in(reading, "mandataire@example.org").get("/demandes/")
    reader.saw(
        "POST /demandes/<n>/saisie/identification (422)",
        "POST /demandes/<n>/saisie/evaluation_certification (422)",
        "GET /demandes/<n>/supprimer (200)",
    )
    reader.check()


def test_the_reviewers_other_pages_read_in_french(
    reading: NewBrowser, reader: Reader, session: Session
) -> None:
    walker = Walker(reading, "ministere")
    walker.step("saisir_demande", data_of("favorable", "saisir_demande"))
    agent = walker.as_user("recevabilite@example.org")
    item = open_item(session, walker.dossier_id, "examiner_recevabilite")
    url = f"/instruction/taches/{item}"
    agent.get(url)
    agent.post(f"{url}/prendre", from_page=url)
    refused = agent.post(url, {"decision": "complements"}, content_type="multipart/form-data")
    assert refused.status_code == 422
    agent.post(f"{url}/reattribuer", {"utilisateur": ""}, from_page=url)
    agent.get(url)  # the message about the person to choose
    for query in ("", "?tri=recent", "?etape=examiner_recevabilite"):
        agent.get(f"/instruction/{query}")
    for query in ("", "?statut=D%C3%A9pos%C3%A9e", "?page=2"):
        agent.get(f"/instruction/dossiers{query}")
    agent.get(f"/instruction/dossiers/{walker.dossier_id}")
    reader.saw("POST /instruction/taches/<n> (422)")
    reader.check()


def test_the_worklists_read_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    walker = Walker(reading, "ministere")
    walker.step("saisir_demande", data_of("favorable", "saisir_demande"))
    agent = walker.as_user("recevabilite@example.org")
    for query in ("?q=habilitation&tri=echeance", "?depot_du=31/02/2026&en_retard=1", "?tout=1"):
        agent.get(f"/instruction/dossiers{query}")
        agent.get(f"/instruction/{query}")
    page = agent.get("/instruction/dossiers").get_data(as_text=True)
    token = re.search(r'name="dossier" value="([0-9:]+)"', page)
    assert token
    listed = "/instruction/dossiers"
    for action in ("reattribuer", "message"):
        chosen = {"action": action, "dossier": token.group(1)}
        agent.post("/instruction/lot", chosen, from_page=listed)
        agent.post("/instruction/lot", chosen | {"confirmer": "1"}, from_page=listed)
    agent.post("/instruction/lot", {"action": "message", "dossier": [token.group(1)],
                                    "confirmer": "1", "texte": "Bonjour."},
               from_page="/instruction/dossiers")  # fmt: skip
    agent.post("/instruction/vues", {"liste": "dossiers", "nom": "Mes dossiers", "requete": "q=x"},
               from_page="/instruction/dossiers")  # fmt: skip
    agent.get("/instruction/dossiers")
    agent.get("/instruction/export?q=habilitation")
    app.config["EXPORT_SYNC_MAX_ROWS"] = 0
    try:
        started = agent.post(
            "/instruction/export", {"format": "ods"}, from_page="/instruction/export"
        )
    finally:
        app.config["EXPORT_SYNC_MAX_ROWS"] = 2000
    agent.get(started.headers["Location"])
    run_worker_at(sessions_of(app), utcnow())
    agent.get(started.headers["Location"])
    reader.saw("POST /instruction/lot (422)")
    reader.check()


def test_the_messagerie_reads_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    walker = Walker(reading, "cpne")
    walker.step("saisir_demande", data_of("favorable", "saisir_demande"))
    dossier = walker.dossier_id
    question = "Bonjour, voici le référentiel signé par le président du jury."
    answer = "Merci, nous l'examinons et revenons vers vous sous huit jours."
    note = "À vérifier avec le rapporteur avant la séance."
    reader.hidden += [question, answer, note]
    sent = write(
        walker.demandeur, f"/demandes/{dossier}/messages", question, [pdf("referentiel.pdf")]
    )
    assert sent.status_code == 302
    agent = walker.as_user("recevabilite@example.org")
    assert write(agent, f"/instruction/dossiers/{dossier}/messages", answer).status_code == 302
    noted = write(agent, f"/instruction/dossiers/{dossier}/annotations", note, [pdf("note.pdf")])
    assert noted.status_code == 302
    empty = write(walker.demandeur, f"/demandes/{dossier}/messages", "")
    assert empty.status_code == 422
    walker.run_jobs()
    for browser, pages in (
        (walker.demandeur, ("/demandes/", f"/demandes/{dossier}")),
        (agent, ("/instruction/", "/instruction/dossiers", f"/instruction/dossiers/{dossier}")),
    ):
        for page in pages:
            browser.get(page)
    told = read_emails(app, session, reader)
    assert told >= MESSAGE_EMAILS, MESSAGE_EMAILS - told
    reader.saw("POST /demandes/<n>/messages (422)")
    reader.check()


def test_the_avis_experts_read_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    walker = walk_until(reading, "instruire_demande", organisation="cpne")
    dossier = walker.dossier_id
    reader.hidden += [EXPERT, ASKED, OPINION, "Autre Experte", "Troisième Expert"]
    rapporteur = walker.as_user("rapporteur@example.org")
    assert invite(rapporteur, dossier, email="pas une adresse").status_code == 422
    assert invite(rapporteur, dossier).status_code == 302
    deadline = in_days(8)
    assert invite(rapporteur, dossier, name="Autre Experte", deadline=deadline.isoformat())
    assert invite(rapporteur, dossier, name="Troisième Expert").status_code == 302
    read_emails(app, session, reader)
    session.rollback()
    first, second, third = (
        link_path(email) for email in emails_to(session, EXPERT_EMAIL, "avis_expert_invitation")
    )
    expert = reading()
    expert.get(first)
    expert.get("/avis-expert/")
    answer = {"texte": "", "pieces": []}
    assert expert.post("/avis-expert/", answer, content_type="multipart/form-data").status_code
    answer = {"texte": OPINION, "pieces": [pdf("avis.pdf")]}
    expert.post(
        "/avis-expert/", answer, from_page="/avis-expert/", content_type="multipart/form-data"
    )
    expert.get("/avis-expert/")
    expert.get("/avis-expert/" + "0" * 64)
    invitation_ids = session.scalars(select(InvitationExpert.id).order_by(InvitationExpert.id))
    revoke = list(invitation_ids)[2]
    rapporteur.post(
        f"/instruction/dossiers/{dossier}/avis-experts/{revoke}/revoquer", from_page="/registre"
    )
    reading().get(third)
    for reader_email in ("rapporteur@example.org", "commission@example.org"):
        walker.as_user(reader_email).get(f"/instruction/dossiers/{dossier}")
    walker.demandeur.get(f"/demandes/{dossier}")
    # The second one: its reminder, then its expiry (the worker, as time passes).
    reminded = datetime.combine(deadline - timedelta(days=3), time(10), tzinfo=PARIS)
    read_emails(app, session, reader, reminded)
    with freeze_time(datetime.combine(deadline + timedelta(days=2), time(10), tzinfo=PARIS)):
        told = read_emails(app, session, reader, datetime.now(UTC))
        reading().get(second)
        rapporteur.get(f"/instruction/dossiers/{dossier}")
    assert told >= EXPERT_EMAILS, EXPERT_EMAILS - told
    reader.saw(
        "POST /instruction/dossiers/<n>/avis-experts (422)",
        "GET /avis-expert/ (200)",
        "POST /avis-expert/ (422)",
        "GET /avis-expert/<n> (404)",
    )
    assert any(page.startswith("GET /avis-expert/") and "(410)" in page for page in reader.pages)
    reader.check()


# --- administration, studio, errors ------------------------------------------------------------


def test_the_administration_reads_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    walker, _numero = recensed(reading)
    read_emails(app, session, reader)
    failed_job(session, app.extensions["db_sessions"], walker.dossier_id)
    # A dossier whose diagram fails: blocked, listed among the incidents.
    instance, item = start_dossier(
        session, script_after_task("typographie_incident", "x = 1 / 0"), checked=False
    )
    blocked = signed_in(reading, "demandeur@example.org")
    blocked.post(f"/demandes/{instance.id}/taches/{item.id}", {"continuer": "oui"})

    admin = signed_in(reading, "admin@example.org")
    session.rollback()
    email_id = session.scalar(select(Email.id).order_by(Email.id))
    for path in (
        "/admin/",
        "/admin/comptes",
        "/admin/comptes/nouveau",
        "/admin/comptes/1",
        "/admin/organisations",
        "/admin/courriels",
        "/admin/courriels?statut=outbox",
        f"/admin/courriels/{email_id}",
        "/admin/courriels/modeles",
        "/admin/travaux",
        "/admin/travaux?statut=failed",
        f"/admin/dossiers/{walker.dossier_id}/travaux",
        "/admin/incidents",
    ):
        assert admin.get(path).status_code == 200, path
    refused = admin.post(
        "/admin/comptes/nouveau",
        {"email": "pas une adresse", "name": "", "password": "court"},
    )
    assert refused.status_code == 422
    admin.post("/admin/comptes/1", {"email": "x", "name": "", "password": "court"})
    admin.post("/admin/organisations", {"name": "", "kind": "x", "siret": "12"})
    reader.saw("POST /admin/comptes/nouveau (422)", "GET /admin/incidents (200)")
    reader.check()


def test_the_studio_reads_in_french(reading: NewBrowser, reader: Reader, restore: None) -> None:
    owner = signed_in(reading, "proprietaire@example.org")
    for path in (
        "/studio/",
        "/studio/recensement/",
        "/studio/recensement/editeur",
        "/studio/recensement/decisions/prequalification.dmn",
        "/studio/recensement/migration",
        "/studio/retrait/",
        "/studio/enregistrement-rs/",
    ):
        assert owner.get(path).status_code == 200, path
    owner.post("/studio/recensement/verification", from_page="/studio/recensement/")
    owner.post("/studio/recensement/scenarios", from_page="/studio/recensement/")
    # A draft that cannot be deployed: its problems, on the page and in the editor's answer.
    draft = owner.get("/studio/api/recensement/brouillon").get_json()
    files = dict(draft["files"])
    files["recensement.bpmn"] = files["recensement.bpmn"].replace(
        "{{ categorie }}", "{{ categorie", 1
    )
    token = owner.csrf("/studio/recensement/")
    saved = owner.client.put(
        "/studio/api/recensement/brouillon",
        json={"files": files, "lock_version": draft["lock_version"]},
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code in (200, 422)
    checked = owner.post("/studio/recensement/verification", from_page="/studio/recensement/")
    assert "n'est pas déployable" in checked.get_data(as_text=True)
    answer = owner.client.post(
        "/studio/api/recensement/brouillon/verification", headers={"X-CSRFToken": token}
    ).get_json()
    assert answer["problems"]
    for problem in answer["problems"]:
        reason = problem["message"].removeprefix(f"{problem['element']}: ")
        reader.keep(text_faults(reason, "vérification du brouillon (JSON)"))
    preview = owner.client.post(
        "/studio/api/formulaire/apercu",
        json={"schema": "{", "ui": "{}"},
        headers={"X-CSRFToken": token},
    ).get_json()
    for error in preview["errors"]:
        reader.keep(text_faults(error, "aperçu du formulaire (JSON)"))
    reader.saw("POST /studio/recensement/verification (200)")
    reader.check()


def test_the_error_pages_read_in_french(
    app: Flask, reading: NewBrowser, reader: Reader, session: Session
) -> None:
    anonymous = reading()
    assert anonymous.get("/page-qui-n-existe-pas").status_code == 404
    assert anonymous.get("/registre/INV99999").status_code == 404
    assert anonymous.get("/deconnexion").status_code == 405
    forged = anonymous.client.post("/connexion", data={"email": "x", "password": "y"})
    anonymous.reader.read("POST", "/connexion", forged)  # type: ignore[attr-defined]
    assert forged.status_code == 400

    walker = Walker(reading, "ministere")
    walker.step("saisir_demande", data_of("favorable", "saisir_demande"))
    item = open_item(session, walker.dossier_id, "examiner_recevabilite")
    walker.step("examiner_recevabilite", data_of("favorable", "examiner_recevabilite"))
    agent = walker.as_user("recevabilite@example.org")
    assert agent.get(f"/instruction/taches/{item}").status_code == 409  # already done
    assert agent.get("/instruction/taches/999999").status_code == 404
    assert walker.demandeur.get("/admin/").status_code == 403
    assert walker.demandeur.get(f"/demandes/{walker.dossier_id}/supprimer").status_code == 409
    too_big = walker.demandeur.post(
        "/demandes/nouvelle",
        {"processus": "recensement", "piece": pdf("gros.pdf", b"%PDF-1.4 " * 1_500_000)},
        from_page="/demandes/",
        content_type="multipart/form-data",
    )
    assert too_big.status_code == 413
    reader.saw(
        "GET /page-qui-n-existe-pas (404)",
        "GET /deconnexion (405)",
        "POST /connexion (400)",
        "GET /instruction/taches/<n> (409)",
        "GET /admin/ (403)",
        "POST /demandes/nouvelle (413)",
    )
    reader.check()
