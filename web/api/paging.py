"""Page-number cursors for the lists the pages already page (dossiers, tasks)."""

from __future__ import annotations

from web.api.conditional import BAD_CURSOR, decode_cursor, encode_cursor
from web.api.problems import Problem

MAX_PAGE = 1_000_000


def page_of(cursor: str) -> int:
    value = decode_cursor(cursor, "p")
    if value is None:
        return 1
    page = value["p"]
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
        raise Problem(400, BAD_CURSOR)
    return page


def following(page: int, pages: int) -> str | None:
    return encode_cursor({"p": page + 1}) if page < pages else None
