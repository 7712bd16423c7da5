"""Plain text as HTML for the documents: a shared wording (the emails' partials, hard-wrapped
lines and `- ` items) and what people typed (their own lines kept), always escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

# A line ending so ends its paragraph in a partial; any other line goes on in the next one.
SENTENCE_ENDS = (".", ":", "!", "?")


def wording(text: str, *, title: bool = False) -> Markup:
    """A partial's text (`_voies_recours.txt`) as paragraphs and lists: blank lines and
    sentence ends close a paragraph, `- ` starts an item, an indented line goes on with its
    item, other lines are joined (the email's wrapping is not the page's). `title`: its first
    line is the section's heading."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    html: list[str] = []
    if title and lines:
        html.append(f"<h2>{escape(lines.pop(0).strip())}</h2>")
    paragraph: list[str] = []
    items: list[list[str]] = []

    def close_paragraph() -> None:
        if paragraph:
            html.append(f"<p>{escape(' '.join(paragraph))}</p>")
            paragraph.clear()

    def close_list() -> None:
        if items:
            listed = "".join(f"<li>{escape(' '.join(item))}</li>" for item in items)
            html.append(f"<ul>{listed}</ul>")
            items.clear()

    for line in lines:
        stripped = line.strip()
        if not stripped:
            close_paragraph()
            close_list()
        elif stripped.startswith("- "):
            close_paragraph()
            items.append([stripped[2:]])
        elif items and line.startswith(" "):
            items[-1].append(stripped)
        else:
            close_list()
            paragraph.append(stripped)
            if stripped.endswith(SENTENCE_ENDS):
                close_paragraph()
    close_paragraph()
    close_list()
    return Markup("".join(html))


def typed(text: object) -> Markup:
    """What someone typed (a decision's reasons): a paragraph per block, its line breaks kept."""
    blocks = [block.strip() for block in str(text or "").replace("\r\n", "\n").split("\n\n")]
    return Markup(
        "".join(
            "<p>" + "<br>".join(str(escape(line)) for line in block.splitlines()) + "</p>"
            for block in blocks
            if block
        )
    )
