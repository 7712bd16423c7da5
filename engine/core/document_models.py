"""Where the generated documents' templates live, and their names: what the BPMN property
`document` may name.

The templates are rendered by engine.pdf; the deployment check (engine.definitions, below it)
only needs their names, read here from the same folder.
"""

from __future__ import annotations

from pathlib import Path

# engine/pdf/modeles/: one `<name>.html` per document; `_*.html` are layouts, not documents.
MODELES_DIR = Path(__file__).resolve().parent.parent / "pdf" / "modeles"
SUFFIX = ".html"
PARTIAL_PREFIX = "_"


def document_names() -> frozenset[str]:
    """The names a `document` property may give (the templates' file names without `.html`)."""
    return frozenset(
        path.stem
        for path in MODELES_DIR.glob(f"*{SUFFIX}")
        if not path.name.startswith(PARTIAL_PREFIX)
    )
