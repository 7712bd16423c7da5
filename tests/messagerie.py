"""Writing in a dossier's messagerie or annotations as its page's forms do (tests' helper)."""

from __future__ import annotations

from werkzeug.test import TestResponse

from tests.support import Browser

QUESTION = "Bonjour, voici le référentiel signé par le président du jury, comme convenu."


def write(
    browser: Browser, url: str, text: str, files: list[tuple[object, str]] | None = None
) -> TestResponse:
    """Post a message (or an annotation) as the page's form does; the CSRF token is read from
    another page, so that the dossier's page is not opened (which marks its messages read)."""
    return browser.post(
        url,
        {"texte": text, "pieces": files or []},
        from_page="/registre",
        content_type="multipart/form-data",
    )
