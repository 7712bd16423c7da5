"""Scripts, conditions and loops of diagrams: refused, stopped or turned into a clear error,
the dossier keeping its last good state and the process owner seeing what happened."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.bpmn.spiff import MAX_TREE_DEPTH, dump_spec
from engine.core.actor import Actor
from engine.core.errors import Conflict, ExecutionError, ProcessModelError
from engine.core.models import (
    AuditEvent,
    Instance,
    InstanceStatus,
    ProcessVersion,
    User,
    WorkItem,
    WorkItemStatus,
)
from engine.definitions.definition import build_definition
from engine.definitions.deployment import deploy
from engine.definitions.folders import content_hash
from engine.workflow.actions import completing, failures, starting
from tests.models_fixtures import (
    automatic_loop,
    condition_after_task,
    human_loop,
    script_after_task,
    timer_after_task,
)
from tests.support import Browser, text_of

MARKER = Path("/tmp/inventaire-sandbox-escape")


def actor(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return Actor.from_user(user)


def store_unchecked(session: Session, files: dict[str, str]) -> ProcessVersion:
    """A version stored as is, like one deployed before today's rules existed."""
    built = build_definition(files)
    version = ProcessVersion(
        key=built.key,
        version=1,
        title=built.title,
        content_hash=content_hash(files),
        files=files,
        spec=dump_spec(built.parsed),
    )
    session.add(version)
    session.flush()
    return version


def start(
    session: Session, files: dict[str, str], *, checked: bool = True
) -> tuple[Instance, WorkItem]:
    if checked:
        version, _created = deploy(session, files)
    else:
        version = store_unchecked(session, files)
    instance = starting.start_instance(
        session, actor(session, "demandeur@example.org"), key=version.key
    )
    session.commit()
    item = session.scalar(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    assert item is not None
    return instance, item


@pytest.mark.parametrize(
    ("files", "element"),
    [
        (
            condition_after_task(
                "cond_import", "__import__('os').system('touch /tmp/inventaire-sandbox-escape')"
            ),
            "choix",
        ),
        (
            condition_after_task("cond_subclasses", "().__class__.__base__.__subclasses__()"),
            "choix",
        ),
        (
            script_after_task(
                "script_import", "import os\nos.system('touch /tmp/inventaire-sandbox-escape')"
            ),
            "calcul",
        ),
        (script_after_task("script_dunder", "x = getattr.__self__"), "calcul"),
        (timer_after_task("timer_import", "__import__('os').getcwd()"), "attendre"),
    ],
)
def test_dangerous_code_is_refused_at_deployment(
    session: Session, files: dict[str, str], element: str
) -> None:
    with pytest.raises(ProcessModelError) as caught:
        deploy(session, files)
    assert any(problem.startswith(f"{element}") for problem in caught.value.problems), (
        caught.value.problems
    )
    assert not MARKER.exists()


def _submit(browser: Browser, instance: Instance, item: WorkItem) -> str:
    url = f"/demandes/{instance.id}/taches/{item.id}"
    response = browser.post(url, {"continuer": "oui"})
    assert response.status_code == 422
    page = text_of(response)
    assert "Traceback" not in page
    return page


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("contenu = open('/etc/passwd').read()", "nom inconnu"),
        ("n = 0\nwhile True:\n    n = n + 1", "dépassé le temps autorisé"),
        ("x = 1 / 0", "ZeroDivisionError"),
    ],
)
def test_a_failing_script_keeps_the_last_good_state_and_tells_the_owner(
    session: Session, browser_factory: object, script: str, reason: str
) -> None:
    # Stored unchecked, as before the deployment rules: they now refuse `open`, an unknown name.
    instance, item = start(
        session, script_after_task(f"script_{abs(hash(script)) % 10**6}", script), checked=False
    )
    state, version = instance.state, instance.lock_version
    browser = browser_factory()  # type: ignore[operator]
    browser.login("demandeur@example.org")
    page = _submit(browser, instance, item)
    assert "erreur dans le modèle du processus" in page
    assert "Oui" in page  # the form is shown again

    session.rollback()  # end the read snapshot: see what the web requests committed
    stored = session.get(Instance, instance.id)
    assert stored is not None
    assert (stored.state, stored.lock_version) == (state, version)
    assert "contenu" not in spiff.state_json(stored.state)
    assert session.get(WorkItem, item.id).status == WorkItemStatus.OPEN  # type: ignore[union-attr]

    owner = browser_factory()  # type: ignore[operator]
    owner.login("proprietaire@example.org")
    incidents = text_of(owner.get("/admin/incidents"))
    assert "calcul : erreur dans « Calculer »" in incidents
    assert reason in incidents


def test_a_loop_past_the_engine_limit_puts_the_dossier_in_error(session: Session) -> None:
    instance, item = start(session, human_loop("boucle_humaine"))
    demandeur = actor(session, "demandeur@example.org")
    passes = 0
    with pytest.raises(ExecutionError) as caught:
        while passes < 400:
            last_state = session.get(Instance, instance.id).state  # type: ignore[union-attr]
            completing.complete_work_item(session, demandeur, item.id, {"continuer": "oui"})
            session.commit()
            passes += 1
            item = session.scalar(
                select(WorkItem).where(
                    WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
                )
            )
            assert item is not None, "the loop never completes silently"
    session.rollback()
    # Far below SpiffWorkflow's own limit (~200 passes of a 5-node loop), never silent.
    assert 50 < passes < 200
    assert "trop de passages dans une boucle" in caught.value.user_message
    failures.record_failure(
        session, demandeur, instance.id, caught.value.user_message, blocking=True
    )
    session.commit()

    stored = session.get(Instance, instance.id)
    assert stored is not None
    assert stored.status == InstanceStatus.ERROR
    assert stored.status_label == "En erreur"
    assert stored.state == last_state
    with pytest.raises(Conflict, match="bloqué par une erreur"):
        completing.complete_work_item(session, demandeur, item.id, {"continuer": "non"})


def test_an_automatic_endless_loop_is_stopped_in_one_request(
    session: Session, browser: Browser
) -> None:
    # The deployment rules refuse such a loop; a version stored before them still runs guarded.
    with pytest.raises(ProcessModelError, match="n'est pas déployable"):
        deploy(session, automatic_loop("boucle_auto"))
    instance, item = start(session, automatic_loop("boucle_auto"), checked=False)
    browser.login("demandeur@example.org")
    page = _submit(browser, instance, item)
    assert "erreur dans le modèle du processus" in page
    session.rollback()  # end the read snapshot: see what the web requests committed
    stored = session.get(Instance, instance.id)
    assert stored is not None
    assert stored.status == InstanceStatus.ERROR
    assert "boucle" in (stored.error_message or "")
    incidents = session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.instance_id == instance.id, AuditEvent.kind == "incident"
        )
    )
    assert incidents == 1
    dossier = text_of(browser.get(f"/demandes/{instance.id}"))
    assert "En erreur" in dossier


def test_the_depth_limit_is_below_spiffworkflows_own() -> None:
    assert MAX_TREE_DEPTH < 1000


def test_a_timer_expression_that_opens_a_file_never_runs(
    session: Session, browser: Browser
) -> None:
    # Stored unchecked, as before the deployment rules: they now refuse `open`, an unknown name.
    files = timer_after_task("timer_open", "open('/etc/passwd').read()")
    with pytest.raises(ProcessModelError, match="n'est pas déployable"):
        deploy(session, files)
    instance, item = start(session, files, checked=False)
    state = instance.state
    browser.login("demandeur@example.org")
    page = _submit(browser, instance, item)
    assert "erreur dans le modèle du processus" in page
    assert "root:" not in page
    session.rollback()
    stored = session.get(Instance, instance.id)
    assert stored is not None
    assert stored.state == state
    summary = session.scalar(
        select(AuditEvent.summary).where(
            AuditEvent.instance_id == instance.id, AuditEvent.kind == "incident"
        )
    )
    assert summary is not None and summary.startswith("attendre:")
