"""Play a scenario file through HTTP as its real users would: log in, fill the pages, take the
task from the bannette, submit the forms. Every step asserts what the user sees."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.core.clock import PARIS
from engine.core.typography import long_date
from engine.definitions.definition import ProcessDefinition, build_definition
from engine.definitions.folders import read_folder
from engine.definitions.forms import FormDefinition
from engine.studio.demo import ACCOUNTS
from engine.studio.scenario import Scenario
from engine.wiring import make_worker
from tests.clock import has_pending_timer, pass_time_until
from tests.support import Browser, location_id, pdf, text_of

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
PROCESS = PROCESSES / "recensement"
DEMANDEUR_OF = {
    "ministere": "demandeur@example.org",
    "cpne": "demandeur2@example.org",
    "organisation_cncp": "demandeur3@example.org",
    "certificateur": "mandataire@example.org",
}
REVIEWER_OF = {
    "recevabilite": "recevabilite@example.org",
    "rapporteur": "rapporteur@example.org",
    "commission": "commission@example.org",
    "directeur_general": "directeur.general@example.org",
}
NAME_OF = {account.email: account.name for account in ACCOUNTS}
# The Inventaire's procedures (the default), and France compétences' for the RS.
INVENTAIRE = ("recensement", "retrait")
RS = ("enregistrement-rs", "retrait-rs")
_definitions = {name: build_definition(read_folder(PROCESSES / name)) for name in INVENTAIRE + RS}


def _owner(task: str, processes: tuple[str, ...] = INVENTAIRE) -> ProcessDefinition:
    """The process among `processes` whose diagram has this task."""
    found = next(
        (
            _definitions[name]
            for name in processes
            if _definitions[name].task_spec(task) is not None
        ),
        None,
    )
    assert found is not None, task
    return found


def title_of(task: str, processes: tuple[str, ...] = INVENTAIRE) -> str:
    return str(_owner(task, processes).task_spec(task).bpmn_name)


def form_of(task: str, processes: tuple[str, ...] = INVENTAIRE) -> FormDefinition:
    definition = _owner(task, processes)
    form = definition.form_for(definition.task_spec(task))
    assert form is not None, task
    return form


def role_of(task: str, processes: tuple[str, ...] = INVENTAIRE) -> str:
    definition = _owner(task, processes)
    rule = definition.lane_rule(definition.task_spec(task).lane)
    assert rule is not None
    return rule.role


def as_posted(form: FormDefinition, data: dict[str, Any], page_html: str = "") -> dict[str, Any]:
    """What a browser would send for these values: text, repeated keys, uploaded files."""
    posted: dict[str, Any] = {}
    for name, value in data.items():
        field = form.get_field(name)
        if field.widget in ("file", "files"):
            names = value if isinstance(value, list) else [value]
            posted[name] = [pdf(str(filename)) for filename in names]
        elif field.widget == "user":
            posted[name] = option_value(page_html, NAME_OF.get(str(value), str(value)))
        elif field.widget == "choix":
            posted[name] = str(value)
        elif isinstance(value, bool):
            posted[name] = "true" if value else "false"
        elif isinstance(value, list):
            posted[name] = [str(item) for item in value]
        else:
            posted[name] = str(value)
    return posted


def option_value(page_html: str, label: str) -> str:
    match = re.search(r'<option value="(\d+)"[^>]*>\s*' + re.escape(label), page_html)
    assert match, f"« {label} » is not offered in the list"
    return match.group(1)


class Walker:
    """One dossier walked by the users of each lane, each in their own browser."""

    def __init__(
        self,
        new_browser: Callable[[], Browser],
        organisation: str,
        processes: tuple[str, ...] = INVENTAIRE,
    ) -> None:
        self.new_browser = new_browser
        self.organisation = organisation
        # The procedures the dossier's tasks belong to (the first one is filed by a submitter).
        self.processes = processes
        self.browsers: dict[str, Browser] = {}
        self.dossier_id: int | None = None
        self.reference: str | None = None
        self.rapporteur = REVIEWER_OF["rapporteur"]

    def as_user(self, email: str) -> Browser:
        if email not in self.browsers:
            browser = self.new_browser()
            browser.login(email)
            self.browsers[email] = browser
        return self.browsers[email]

    @property
    def demandeur(self) -> Browser:
        return self.as_user(DEMANDEUR_OF[self.organisation])

    def play(self, scenario: Scenario) -> None:
        for step in scenario.steps:
            self.step(step.task, step.data, step.timer)

    def step(self, task: str, data: dict[str, Any], timer: str | None = None) -> None:
        if timer is not None:
            self.pass_time(timer)
        elif task in _definitions[self.processes[0]].depot_tasks():
            self.deposer(data, task)
        elif role_of(task, self.processes) == "demandeur":
            self.complete_as_demandeur(task, data)
        else:
            self.complete_as_reviewer(task, data)

    def run_jobs(self) -> int:
        """A worker runs what is due now (publication, emails)."""
        return make_worker(
            self.demandeur.client.application.extensions["db_sessions"]
        ).run_until_idle()

    def pass_time(self, element: str) -> None:
        """The clock moves to the timer's due time and the worker runs; a timer that fired when
        reached (a session date already past) has nothing left to wait for."""
        sessions = self.demandeur.client.application.extensions["db_sessions"]
        if has_pending_timer(sessions, self.dossier_id, element):
            pass_time_until(sessions, self.dossier_id, element)

    def deposer(self, data: dict[str, Any], task: str = "saisir_demande") -> None:
        created = self.demandeur.post(
            "/demandes/nouvelle", {"processus": self.processes[0]}, from_page="/demandes/"
        )
        assert created.status_code == 302
        self.deposer_brouillon(location_id(created, r"/demandes/(\d+)/saisie"), data, task)

    def deposer_brouillon(
        self, dossier_id: int, data: dict[str, Any], task: str = "saisir_demande"
    ) -> None:
        """Fill the filing form's pages of a draft dossier with `data` and file it (its dépôt)."""
        browser = self.demandeur
        self.dossier_id = dossier_id
        form = form_of(task, self.processes)
        pages = list(form.pages)
        for index, page in enumerate(pages):
            url = f"/demandes/{self.dossier_id}/saisie/{page.id}"
            shown = browser.get(url)
            assert shown.status_code == 200
            assert page.title in text_of(shown)
            values = {name: value for name, value in data.items() if name in page.fields}
            posted = as_posted(form, values)
            posted["_action"] = "deposer" if index == len(pages) - 1 else "suivant"
            response = browser.post(url, posted, content_type="multipart/form-data")
            assert response.status_code == 302, text_of(response)[:2000]
        assert response.headers["Location"].endswith(f"/demandes/{self.dossier_id}")
        page = browser.get(f"/demandes/{self.dossier_id}")
        match = re.search(r"déposée sous la référence ([A-Z][A-Z0-9-]*-\d{4}-\d{5})", text_of(page))
        assert match, text_of(page)[:1500]
        self.reference = match.group(1)

    def complete_as_demandeur(self, task: str, data: dict[str, Any]) -> None:
        browser = self.demandeur
        page = browser.get(f"/demandes/{self.dossier_id}")
        title = title_of(task, self.processes)
        assert title in text_of(page), "the dossier page says what is expected"
        match = re.search(
            rf'href="(/demandes/{self.dossier_id}/taches/(\d+))"', page.get_data(as_text=True)
        )
        assert match
        url = match.group(1)
        shown = browser.get(url)
        assert shown.status_code == 200
        response = browser.post(
            url, as_posted(form_of(task, self.processes), data), content_type="multipart/form-data"
        )
        assert response.status_code == 302, text_of(response)[:2000]

    def reviewer_for(self, task: str) -> str:
        role = role_of(task, self.processes)
        return self.rapporteur if role == "rapporteur" else REVIEWER_OF[role]

    def complete_as_reviewer(self, task: str, data: dict[str, Any]) -> None:
        browser = self.as_user(self.reviewer_for(task))
        inbox = browser.get(f"/instruction/?etape={task}")
        assert inbox.status_code == 200
        body = inbox.get_data(as_text=True)
        match = re.search(
            rf'href="/instruction/taches/(\d+)">{re.escape(self.reference or "")}<', body
        )
        assert match, f"{self.reference} not in the bannette of {self.reviewer_for(task)}"
        work_item_id = int(match.group(1))
        url = f"/instruction/taches/{work_item_id}"
        shown = browser.get(url)
        if "Vous avez pris en charge cette tâche." not in text_of(shown):
            # Not given already (a designation, a task coming back to its agent): take it.
            claimed = browser.post(f"{url}/prendre", from_page=url)
            assert claimed.status_code == 302
            shown = browser.get(url)
        assert "Vous avez pris en charge cette tâche." in text_of(shown)
        form = form_of(task, self.processes)
        data = dict(data)
        for name in form.choice_fields():
            # A scenario names its séance by its date: the one the list offers that day, else
            # one the secretariat creates first (« Séances » › « Nouvelle séance »).
            data[name] = self.seance_option(browser, url, str(data[name]))
            shown = browser.get(url)
        posted = as_posted(form, data, shown.get_data(as_text=True))
        response = browser.post(url, posted, content_type="multipart/form-data")
        assert response.status_code == 302, text_of(response)[:3000]
        if task == "designer_rapporteur":
            self.rapporteur = str(data["rapporteur_id"])

    def seance_option(self, browser: Browser, task_url: str, day: str) -> str:
        label = long_date(date.fromisoformat(day))
        offered = re.search(
            r'<option value="(\d+)"[^>]*>\s*' + re.escape(label),
            browser.get(task_url).get_data(as_text=True),
        )
        if offered is None:
            secretariat = self.as_user(REVIEWER_OF["recevabilite"])
            held = date.fromisoformat(day) < datetime.now(PARIS).date()
            fields = {"date": day, "heure": "09:00", "lieu": "Salle de la commission"}
            created = secretariat.post(
                "/seances/nouvelle",
                fields | ({"tenue": "true"} if held else {}),
                from_page="/seances/nouvelle",
            )
            assert created.status_code == 302, text_of(created)[:2000]
            return str(location_id(created, r"/seances/(\d+)"))
        return offered.group(1)

    def status_seen_by_demandeur(self) -> str:
        page = self.demandeur.get("/demandes/")
        row = re.search(
            rf"{re.escape(self.reference or '')}.*?fr-badge[^>]*>([^<]+)<",
            page.get_data(as_text=True),
            re.S,
        )
        assert row, "the dossier is in Mes demandes"
        return html.unescape(row.group(1).strip())
