"""What the load test's virtual users do, each in a loop with no pause until the time is up.

- reviewer, a secretariat agent (*Examiner la recevabilité*) or a rapporteur (*Instruire la
  demande*): opens the Bannette, picks up to BATCH of the tasks it lists at random, and for
  each of its own task opens the task page then sends the decision (the form as the page
  declares it): the usual one (recevable, favourable), or complements asked for one dossier in
  ten (once per dossier). A task of the role's queue (its own all done, or a dossier back from
  its complements) is taken first (« Prendre en charge »).
- submitter: files a new request (« Nouvelle demande », then each page of the form, its pieces
  attached, the last one « Déposer ») or, when *Mes demandes* shows complements to give, opens
  that task and answers it with a piece;
- public (not signed in): searches the register for a word (now and then with a filter or
  page 2) and opens one or two of the fiches found.

Each answer is checked (status, Location of the redirects): bench/load_client.py.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

from bench.load_client import Browser, Record, Unexpected, form_is_multipart, token_of
from bench.load_data import RAPPORTEUR, SECRETARIAT
from bench.register_search import TOPIC_POOL
from tests.dossiers import data_of
from tests.walk import as_posted, form_of, title_of

BATCH = 5  # tasks taken from one look at the Bannette
FILING = data_of("favorable", "saisir_demande")
ANSWER = data_of("complements_recevabilite_puis_instruction", "completer_demande")
TWO_ROUNDS = "complements_recevabilite_puis_instruction"


@dataclass(frozen=True)
class Review:
    """A reviewer's task: the decision usually sent, and the one asking for complements."""

    task: str
    usual: dict[str, Any]
    complements: dict[str, Any]

    @property
    def title(self) -> str:
        return title_of(self.task)


REVIEWS = {
    SECRETARIAT: Review(
        "examiner_recevabilite",
        data_of("favorable", "examiner_recevabilite"),
        data_of(TWO_ROUNDS, "examiner_recevabilite"),
    ),
    RAPPORTEUR: Review(
        "instruire_demande",
        data_of("favorable", "instruire_demande"),
        data_of(TWO_ROUNDS, "instruire_demande"),
    ),
}
COMPLETED_TASKS = tuple(review.task for review in REVIEWS.values())
assert REVIEWS[SECRETARIAT].complements["decision"] == "complements"
assert REVIEWS[RAPPORTEUR].complements["avis_rapporteur"] == "complements"
TASK_LINK = re.compile(r'href="/instruction/taches/(\d+)"')
DOSSIER_LINK = re.compile(r'href="/instruction/dossiers/(\d+)"')
OWN_TASK = re.compile(r'href="/demandes/(\d+)/taches/(\d+)"')
FICHE_LINK = re.compile(r'href="/registre/([A-Z0-9][A-Za-z0-9-]*)"')
TAKEN = "Vous avez pris en charge cette tâche."
COMPLEMENTS_EVERY = 10  # one dossier in ten is asked for complements, once


@dataclass
class Shared:
    """What the virtual users share: the end of the run and the dossiers asked once."""

    until: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    asked: set[int] = field(default_factory=set)

    def ask_complements(self, dossier: int) -> bool:
        if dossier % COMPLEMENTS_EVERY != 3:
            return False
        with self.lock:
            if dossier in self.asked:
                return False
            self.asked.add(dossier)
            return True


# --- reviewers ----------------------------------------------------------------------------------


def review_round(browser: Browser, shared: Shared, rng: random.Random, review: Review) -> None:
    inbox = browser.get("bannette", "/instruction/")
    items = TASK_LINK.findall(inbox.body)
    for item in rng.sample(items, min(BATCH, len(items))):
        if time.perf_counter() >= shared.until:
            return
        try:
            complete_task(browser, shared, int(item), review)
        except Unexpected:
            continue  # recorded; the next task


def complete_task(browser: Browser, shared: Shared, item: int, review: Review) -> None:
    url = f"/instruction/taches/{item}"
    page = browser.get("task page", url)
    if f"<title>{review.title} – " not in page.body:
        return  # another task of the role's queue (the next step of a dossier): not ours
    if TAKEN not in page.body:
        browser.post_form("claim", f"{url}/prendre", {}, token_of(browser, page))
        page = browser.get("task page", url)
    found = DOSSIER_LINK.search(page.body)
    dossier = int(found.group(1)) if found else 0
    asked = shared.ask_complements(dossier)
    data = as_posted(form_of(review.task), review.complements if asked else review.usual)
    answer = browser.post_form(
        "complete task",
        url,
        data,
        token_of(browser, page),
        multipart_form=form_is_multipart(page, url),
    )
    if not answer.location.endswith("/instruction/"):
        browser.record.error("complete task", f"POST {url}: went to {answer.location}")
        return
    browser.record.did("completions")
    browser.record.did(f"{review.task}{' (complements asked)' if asked else ''}")


# --- submitters ---------------------------------------------------------------------------------


def submit_round(browser: Browser, shared: Shared, rng: random.Random) -> None:
    listing = browser.get("mes demandes", "/demandes/")
    tasks = OWN_TASK.findall(listing.body)
    if tasks and rng.random() < 0.6:
        dossier, item = rng.choice(tasks)
        answer_complements(browser, int(dossier), int(item))
    else:
        file_request(browser, token_of(browser, listing))


def file_request(browser: Browser, token: str) -> None:
    created = browser.post_form(
        "new draft", "/demandes/nouvelle", {"processus": "recensement"}, token
    )
    found = re.search(r"/demandes/(\d+)/saisie", created.location)
    if found is None:
        browser.record.error("new draft", f"went to {created.location}")
        return
    dossier = int(found.group(1))
    form = form_of("saisir_demande")
    pages = list(form.pages)
    for index, page in enumerate(pages):
        url = f"/demandes/{dossier}/saisie/{page.id}"
        shown = browser.get("filing page", url)
        values = {name: value for name, value in FILING.items() if name in page.fields}
        posted = as_posted(form, values)
        last = index == len(pages) - 1
        posted["_action"] = "deposer" if last else "suivant"
        answer = browser.post_form(
            "file request" if last else "filing page (next)",
            url,
            posted,
            token_of(browser, shown),
            multipart_form=True,
        )
        if last and not answer.location.endswith(f"/demandes/{dossier}"):
            browser.record.error("file request", f"POST {url}: went to {answer.location}")
            return
    browser.record.did("filed")


def answer_complements(browser: Browser, dossier: int, item: int) -> None:
    url = f"/demandes/{dossier}/taches/{item}"
    page = browser.get("complements page", url)
    posted = as_posted(form_of("completer_demande"), ANSWER)
    browser.post_form(
        "answer complements", url, posted, token_of(browser, page), multipart_form=True
    )
    browser.record.did("complements answered")


# --- the public ---------------------------------------------------------------------------------


def public_round(browser: Browser, shared: Shared, rng: random.Random) -> None:
    query = {"q": rng.choice(TOPIC_POOL)}
    draw = rng.random()
    if draw < 0.15:
        query["page"] = "2"
    elif draw < 0.25:
        query["categorie"] = rng.choice("ABC")
    results = browser.get("register search", "/registre?" + urlencode(query))
    fiches = sorted(set(FICHE_LINK.findall(results.body)) - {"export.xml", "export.csv"})
    for numero in rng.sample(fiches, min(len(fiches), rng.choice((1, 1, 2)))):
        browser.get("fiche", f"/registre/{numero}")


ROUNDS: dict[str, Callable[[Browser, Shared, random.Random], None]] = {
    SECRETARIAT: partial(review_round, review=REVIEWS[SECRETARIAT]),
    RAPPORTEUR: partial(review_round, review=REVIEWS[RAPPORTEUR]),
    "submitter": submit_round,
    "public": public_round,
}
REVIEWING = (SECRETARIAT, RAPPORTEUR)


@dataclass(frozen=True)
class VirtualUser:
    role: str
    email: str | None  # None: the public, not signed in
    seed: int


def reviewers_in(users: int) -> dict[str, int]:
    """Half the users review: a quarter of them the secretariat (one at least), the rest
    rapporteurs (one at least)."""
    reviewing = max(2, users // 2)
    secretariat = max(1, reviewing // 4)
    return {SECRETARIAT: secretariat, RAPPORTEUR: reviewing - secretariat}


def mix(
    users: int, reviewers: dict[str, tuple[str, ...]], submitters: tuple[str, ...]
) -> list[VirtualUser]:
    """The reviewers (one account each), a quarter submitters (the demo's accounts in turn,
    one at least), the rest the public (one at least)."""
    found = [
        VirtualUser(role, email, seed)
        for seed, (role, email) in enumerate(
            (role, email) for role in REVIEWING for email in reviewers.get(role, ())
        )
    ]
    filers = max(1, users // 4)
    found += [
        VirtualUser("submitter", submitters[n % len(submitters)], 100 + n) for n in range(filers)
    ]
    public = max(1, users - len(found))
    found += [VirtualUser("public", None, 200 + n) for n in range(public)]
    return found


def run_user(
    user: VirtualUser,
    host: str,
    port: int,
    shared: Shared,
    ready: threading.Barrier,
    record: Record,
) -> None:
    """Sign in (before the clock starts), wait for the others, then loop until the end."""
    browser = Browser(host, port, record)
    rng = random.Random(user.seed)
    try:
        if user.email is not None:
            with contextlib.suppress(Unexpected):  # recorded; the rounds will show it
                browser.sign_in(user.email)
        ready.wait()
        round_of = ROUNDS[user.role]
        while time.perf_counter() < shared.until:
            try:
                round_of(browser, shared, rng)
            except Unexpected:
                continue
    except Exception as error:  # a crash of the client is an error of the load, not silence
        record.error("client", f"{user.role} {user.email}: {type(error).__name__}: {error}")
    finally:
        browser.close()
