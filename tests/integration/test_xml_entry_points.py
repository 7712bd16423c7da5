"""Every way XML comes in refuses a DTD with our French message, before libxml2 reads it, with
the locked lxml (whose libxml2 would otherwise stop an entity bomb with its own English words):
the open-data import (engine and CLI), `inventaire processes check`, the studio's import and
the editor's saving of a draft."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from importlib import metadata
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import ProcessDraft, RegisterEntry
from engine.register.opendata.importer import ImportRefused, import_fiches
from tests.support import Browser, text_of
from tools.lock import LOCK, pins

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
RECENSEMENT = PROCESSES / "recensement"
EXTERNAL = '<!DOCTYPE racine [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
BOMB = (
    "<!DOCTYPE racine ["
    + '<!ENTITY lol0 "lollollollollollollollollollol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    + "]>"
)
KINDS = ["entity bomb", "external entity", "UTF-16", "after a comment and a PI"]
CLI = Callable[..., Result]


def hostile(xml: str, kind: str) -> bytes:
    """`xml` (a whole document) with a DTD of that kind and its entity used in the root."""
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)
    prolog, reference, encoding = EXTERNAL, "&xxe;", "UTF-8"
    if kind == "entity bomb":
        prolog, reference = BOMB, "&lol9;"
    elif kind == "after a comment and a PI":
        prolog = f'<!-- exporté par un autre outil -->\n<?xml-stylesheet href="x.xsl"?>\n{prolog}'
    elif kind == "UTF-16":
        encoding = "UTF-16"
    body = body.replace(">", f">{reference}", 1)  # just inside the root's start tag
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n{prolog}\n{body}'
    return text.encode("utf-16" if encoding == "UTF-16" else "utf-8")


def test_these_tests_run_with_the_locked_lxml() -> None:
    assert metadata.version("lxml") == str(pins(LOCK.read_text(encoding="utf-8"))["lxml"].version)


# --- the open-data import --------------------------------------------------------------------

EXPORT = (
    '<?xml version="1.0" encoding="UTF-8"?><FICHES><VERSION_FLUX>4.1</VERSION_FLUX><FICHE>'
    "<ID_FICHE>1</ID_FICHE><NUMERO_FICHE>RS9001</NUMERO_FICHE><INTITULE>Titre</INTITULE>"
    "<ETAT_FICHE>Publiée</ETAT_FICHE></FICHE></FICHES>"
)
IMPORT_REFUSED = (
    "Le fichier «\u00a0export.xml\u00a0» déclare une DTD (<!DOCTYPE>)\u00a0: les DTD et les "
    "entités XML sont refusées. Aucune fiche n'a été importée."
)


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> CLI:
    from web.cli import main

    environment = {
        "INVENTAIRE_DATABASE_URL": database_url,
        "INVENTAIRE_SECRET_KEY": "test",
        "INVENTAIRE_UPLOAD_DIR": str(tmp_path / "pieces"),
    }
    return lambda *args: CliRunner().invoke(main, list(args), env=environment)


@pytest.mark.parametrize("kind", KINDS)
def test_the_open_data_import_refuses_a_dtd(
    kind: str, session: Session, cli: CLI, tmp_path: Path
) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(hostile(EXPORT, kind))
    with pytest.raises(ImportRefused) as refused:
        import_fiches(session, path)
    assert refused.value.user_message == IMPORT_REFUSED
    session.rollback()

    result = cli("register", "import", str(path))
    assert result.exit_code == 2
    assert IMPORT_REFUSED in result.stderr
    assert "Traceback" not in result.output
    assert session.scalar(select(func.count()).select_from(RegisterEntry)) == 0


# --- inventaire processes check --------------------------------------------------------------


def check(*paths: Path) -> Result:
    from web.cli import main

    return CliRunner().invoke(main, ["processes", "check", *map(str, paths)])


@pytest.mark.parametrize("kind", KINDS)
def test_processes_check_refuses_a_dtd_in_a_diagram_or_a_decision_table(
    kind: str, tmp_path: Path
) -> None:
    alone = tmp_path / "seul" / "piege.bpmn"
    alone.parent.mkdir()
    alone.write_bytes(hostile((RECENSEMENT / "recensement.bpmn").read_text("utf-8"), kind))
    result = check(alone)
    assert result.exit_code == 1
    assert result.output == "piege.bpmn: les DTD et entités XML sont refusées.\n"

    folder = tmp_path / "recensement"
    shutil.copytree(RECENSEMENT, folder)
    table = folder / "prequalification.dmn"
    table.write_bytes(hostile(table.read_text("utf-8"), kind))
    result = check(folder)
    assert result.exit_code == 1
    assert result.output == "prequalification.dmn: les DTD et entités XML sont refusées.\n"


def test_processes_check_still_passes_the_real_model() -> None:
    result = check(RECENSEMENT)
    assert result.exit_code == 0, result.output
    assert result.output == "Déployable.\n"


# --- the studio ------------------------------------------------------------------------------


@pytest.fixture
def owner(browser: Browser, restore: None) -> Browser:
    browser.login("proprietaire@example.org")
    return browser


def draft_files(owner: Browser) -> tuple[dict[str, str], int]:
    data = owner.get("/studio/api/recensement/brouillon").get_json()
    return data["files"], data["lock_version"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_studio_import_refuses_a_dtd_and_keeps_the_draft(
    kind: str, owner: Browser, session: Session
) -> None:
    before, _version = draft_files(owner)
    upload = hostile(before["recensement.bpmn"], kind)
    response = owner.post(
        "/studio/recensement/import",
        {"fichier": (BytesIO(upload), "piege.bpmn")},
        from_page="/studio/recensement/",
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "« piege.bpmn » n'est pas importé : les DTD et entités XML sont refusées." in page
    assert "root:" not in page
    assert draft_files(owner)[0] == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["recensement.bpmn", "prequalification.dmn"])
def test_saving_a_draft_with_a_dtd_is_refused(
    kind: str, name: str, owner: Browser, session: Session
) -> None:
    before, version = draft_files(owner)
    data = hostile(before[name], kind)
    files = {**before, name: data.decode("utf-16" if kind == "UTF-16" else "utf-8")}
    response = owner.client.put(
        "/studio/api/recensement/brouillon",
        json={"files": files, "lock_version": version},
        headers={"X-CSRFToken": owner.csrf("/studio/recensement/")},
    )
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": {name: "Fichier refusé\u00a0: les DTD et entités XML sont refusées."}
    }
    assert draft_files(owner) == (before, version)
    session.rollback()
    stored = session.get(ProcessDraft, "recensement")
    assert stored is None or stored.files == before
