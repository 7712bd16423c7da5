"""Reading the documents the platform generates, as their readers get them: the PDF's text
(pypdf), the pieces a dossier page lists."""

from __future__ import annotations

import html
import io
import re

from pypdf import PdfReader

from tests.support import Browser


def pdf_text(content: bytes) -> str:
    """A PDF's text, its whitespace (line ends, non-breaking spaces) as single spaces."""
    assert content.startswith(b"%PDF-"), content[:40]
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def listed_pieces(browser: Browser, page_url: str) -> dict[str, int]:
    """{what the piece is (its label, else its name): id} as the dossier page lists them."""
    body = browser.get(page_url).get_data(as_text=True)
    found: dict[str, int] = {}
    for item in re.findall(r"<li>(.*?)</li>", body, re.S):
        link = re.search(r'href="/pieces/(\d+)"[^>]*>([^<]+)<', item)
        if link is None:
            continue
        label = re.search(r'<span class="fr-text--bold">([^<]+)</span>', item)
        name = html.unescape((label.group(1) if label else link.group(2)).strip())
        found[name] = int(link.group(1))
    return found
