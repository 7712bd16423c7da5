"""A small upload that inflates to gigabytes (a zip bomb) is refused without being inflated:
the server's memory does not grow, nothing is stored, the submitter reads why in French."""

from __future__ import annotations

import io
import resource
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import Document
from engine.studio.scenario import SAMPLE_PDF
from tests.support import Browser, location_id, text_of

NewBrowser = Callable[[], Browser]
ODT_TYPE = b"application/vnd.oasis.opendocument.text"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/>'
    "</Types>"
).encode()
RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Référentiel de compétences</w:t></w:r></w:p></w:body></w:document>"
).encode()
ODT_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    b'manifest:version="1.3"><manifest:file-entry manifest:full-path="/" '
    b'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b"</manifest:manifest>"
)
ODT_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
    "<office:body><office:text><text:p>Référentiel de compétences</text:p></office:text>"
    "</office:body></office:document-content>"
).encode()
GIB = 1 << 30
MEMORY_BOUND_KB = 200 * 1024  # what checking one upload may add to the peak, at most


def _bomb_member(archive: zipfile.ZipFile, name: str, start: bytes, filler: bytes) -> None:
    """`name` holds `start` then about 1 GiB of `filler`, deflated (~1 MB), written in chunks."""
    chunk = filler * ((1 << 20) // len(filler))
    with archive.open(name, "w") as member:
        member.write(start)
        for _ in range(GIB // len(chunk)):
            member.write(chunk)


def odt_bomb() -> bytes:
    """An ODT whose `mimetype` is the right text followed by 1 GiB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _bomb_member(archive, "mimetype", ODT_TYPE, b"\x00")
        archive.writestr("META-INF/manifest.xml", ODT_MANIFEST)
        archive.writestr("content.xml", ODT_CONTENT)
    return buffer.getvalue()


def docx_bomb() -> bytes:
    """A DOCX whose `[Content_Types].xml` is valid, then 1 GiB of blanks (legal after the root)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _bomb_member(archive, "[Content_Types].xml", CONTENT_TYPES, b" ")
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", DOCUMENT_XML)
    return buffer.getvalue()


def valid_odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODT_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", ODT_MANIFEST)
        archive.writestr("content.xml", ODT_CONTENT)
    return buffer.getvalue()


def valid_docx(content_types: bytes = CONTENT_TYPES) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", DOCUMENT_XML)
    return buffer.getvalue()


def many_members() -> bytes:
    """A DOCX of 6,000 tiny members: more than a document has."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", DOCUMENT_XML)
        for number in range(6000):
            archive.writestr(f"word/media/{number}.xml", b"")
    return buffer.getvalue()


def bzip2_member() -> bytes:
    """A DOCX whose content types are bzip2-compressed (no Office suite writes that; bzip2
    cannot be inflated a few bytes at a time)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES, compress_type=zipfile.ZIP_BZIP2)
        archive.writestr("word/document.xml", DOCUMENT_XML)
    return buffer.getvalue()


def corrupt_odt() -> bytes:
    """An ODT whose `mimetype` holds deflate data that cannot be inflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODT_TYPE)
        archive.writestr("content.xml", ODT_CONTENT)
    content = bytearray(buffer.getvalue())
    content[30 + len("mimetype")] = 0xFF  # a deflate block of the reserved type
    return bytes(content)


def files_in(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def documents_of(session: Session) -> int:
    session.rollback()
    return session.scalar(select(func.count(Document.id))) or 0


def peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@pytest.fixture
def descriptif(browser_factory: NewBrowser) -> tuple[Browser, str]:
    """A signed-in submitter on the page of a draft where the referential is uploaded."""
    browser = browser_factory()
    browser.login("demandeur@example.org")
    created = browser.post("/demandes/nouvelle", from_page="/demandes/")
    dossier_id = location_id(created, r"/demandes/(\d+)/saisie")
    return browser, f"/demandes/{dossier_id}/saisie/descriptif"


def send(browser: Browser, url: str, name: str, content: bytes) -> tuple[int, str]:
    response = browser.post(
        url,
        {
            "competences_attestees": "Souder en toutes positions.",
            "referentiel_competences": (io.BytesIO(content), name),
            "_action": "brouillon",
        },
        content_type="multipart/form-data",
    )
    return response.status_code, text_of(response)


@pytest.mark.parametrize(("name", "build"), [("bombe.odt", odt_bomb), ("bombe.docx", docx_bomb)])
def test_a_zip_bomb_is_refused_without_being_inflated(
    descriptif: tuple[Browser, str],
    session: Session,
    upload_dir: Path,
    name: str,
    build: Callable[[], bytes],
) -> None:
    browser, url = descriptif
    bomb = build()
    assert len(bomb) < 2 * 1024 * 1024  # within the test app's upload limit
    documents, files = documents_of(session), files_in(upload_dir)
    before = peak_kb()

    status, page = send(browser, url, name, bomb)

    assert peak_kb() - before < MEMORY_BOUND_KB
    assert status == 422, page[:1500]
    assert f"Le fichier « {name} » est une archive anormalement compressée : il est refusé." in page
    assert "Souder en toutes positions." in page  # what was typed is kept
    assert documents_of(session) == documents
    assert files_in(upload_dir) == files


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        ("nombreux.docx", many_members, "est une archive de plus de 5000 éléments"),
        ("bzip2.docx", bzip2_member, "n'est pas un document PDF, ODT ou DOCX valide"),
        ("corrompu.odt", corrupt_odt, "n'est pas un document PDF, ODT ou DOCX valide"),
        (
            "sans-document.docx",
            lambda: valid_docx(CONTENT_TYPES.replace(DOCX_MAIN.encode(), b"application/xml")),
            "n'est pas un document PDF, ODT ou DOCX valide",
        ),
        (
            "macro.docx",
            lambda: valid_docx(
                CONTENT_TYPES.replace(
                    DOCX_MAIN.encode(), b"application/vnd.ms-word.document.macroEnabled.main+xml"
                )
            ),
            "n'est pas un document PDF, ODT ou DOCX valide",
        ),
    ],
)
def test_odd_archives_are_refused(
    descriptif: tuple[Browser, str],
    session: Session,
    upload_dir: Path,
    name: str,
    build: Callable[[], bytes],
    message: str,
) -> None:
    browser, url = descriptif
    documents, files = documents_of(session), files_in(upload_dir)
    status, page = send(browser, url, name, build())
    assert status == 422, page[:1500]
    assert f"Le fichier « {name} » {message}" in page
    assert documents_of(session) == documents
    assert files_in(upload_dir) == files


@pytest.mark.parametrize(
    ("name", "build"),
    [("referentiel.odt", valid_odt), ("referentiel.docx", valid_docx), ("referentiel.pdf", None)],
)
def test_real_documents_are_still_taken(
    descriptif: tuple[Browser, str],
    session: Session,
    upload_dir: Path,
    name: str,
    build: Callable[[], bytes] | None,
) -> None:
    browser, url = descriptif
    documents, files = documents_of(session), files_in(upload_dir)
    status, page = send(browser, url, name, build() if build else SAMPLE_PDF)
    assert status == 302, page[:1500]
    assert documents_of(session) == documents + 1
    assert files_in(upload_dir) == files + 1
