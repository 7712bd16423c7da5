"""HTML to PDF with WeasyPrint: the DSFR's Marianne fonts, its bloc-marque for an official
service, our stylesheet; nothing fetched but those files.

WeasyPrint is imported on first use (about 0.6 s) and its fonts and stylesheets are prepared
once per process; renderings are serialized (one at a time per process: 100 to 300 ms each).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from engine.core.errors import PermanentFailure
from engine.core.settings import EngineSettings

STYLESHEET = Path(__file__).parent / "modeles" / "document.css"
# The DSFR's files, as the web layer copies them from npm's @gouvfr/dsfr (Makefile).
FONTS = {
    (400, "normal"): "Marianne-Regular.woff2",
    (400, "italic"): "Marianne-Regular_Italic.woff2",
    (700, "normal"): "Marianne-Bold.woff2",
    (700, "italic"): "Marianne-Bold_Italic.woff2",
}
LOGO_STYLESHEET = "logo.main.min.css"
# The DSFR's logo rule places the motto with `calc()`, which WeasyPrint cannot compute: the
# same place as a length (its box is 2.21 rem high, the image 3.75 rem, shifted 1.875 rem).
LOGO_FIX = ".fr-logo::after { background-position: 0 0.3333333rem; }"

_lock = threading.Lock()


@dataclass(frozen=True)
class _Styles:
    font_config: Any
    stylesheets: list[Any]
    fetcher: Any


def pdf_from_html(html: str, settings: EngineSettings) -> bytes:
    """The PDF of a document's HTML (a letter, an attestation, a summary)."""
    with _lock:
        styles = _styles(settings.dsfr_dir, settings.official)
        from weasyprint import HTML

        try:
            document = HTML(
                string=html, base_url=str(STYLESHEET.parent), url_fetcher=styles.fetcher
            )
            return bytes(
                document.write_pdf(
                    stylesheets=styles.stylesheets,
                    font_config=styles.font_config,
                    pdf_tags=True,
                )
            )
        except Exception as error:  # the same HTML would fail again: no retry
            raise PermanentFailure(
                "Le document PDF n'a pas pu être produit\u00a0: "
                f"{type(error).__name__}\u00a0: {error}."
            ) from error


@cache
def _styles(dsfr_dir: Path | None, official: bool) -> _Styles:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    roots = [STYLESHEET.parent.resolve()]
    if dsfr_dir is not None and dsfr_dir.is_dir():
        roots.append(dsfr_dir.resolve())
    fetcher = _fetcher(tuple(roots))
    sheets = []
    if len(roots) > 1 and dsfr_dir is not None:
        faces = "".join(
            f"@font-face {{ font-family: Marianne; font-weight: {weight}; font-style: {style}; "
            f'src: url("{(dsfr_dir / "fonts" / name).resolve().as_uri()}"); }}\n'
            for (weight, style), name in FONTS.items()
            if (dsfr_dir / "fonts" / name).is_file()
        )
        sheets.append(CSS(string=faces, font_config=font_config, url_fetcher=fetcher))
        logo = dsfr_dir / LOGO_STYLESHEET
        if official and logo.is_file():
            sheets.append(CSS(filename=str(logo), font_config=font_config, url_fetcher=fetcher))
            sheets.append(CSS(string=LOGO_FIX, font_config=font_config))
    sheets.append(CSS(filename=str(STYLESHEET), font_config=font_config, url_fetcher=fetcher))
    return _Styles(font_config, sheets, fetcher)


def _fetcher(allowed: tuple[Path, ...]) -> Any:
    """Only `data:` URIs and the files of the allowed folders (the fonts; the logo's images are
    data URIs): a document never reaches the network nor any other file."""
    from weasyprint.urls import URLFetcher

    class Confined(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if not any(path.is_relative_to(root) for root in allowed):
                    raise ValueError(f"fichier refusé dans un document\u00a0: {url[:200]}")
            return super().fetch(url, headers)

    return Confined(allowed_protocols=("data", "file"))
