"""Test helpers: a user's browser session on the app, reading pages as a user reads them."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, stream_encode_multipart

from engine.studio.scenario import SAMPLE_PDF

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "inventaire"


def text_of(response: TestResponse) -> str:
    """The page's visible text, tags removed and entities decoded (what a user reads)."""
    return visible_text(response.get_data(as_text=True))


def main_text(response: TestResponse) -> str:
    """What the page itself says, without the site's header and footer (which name the
    platform, « Inventaire », on every page)."""
    assert response.status_code == 200
    found = re.search(r"<main\b.*?</main>", response.get_data(as_text=True), re.S)
    assert found, response.get_data(as_text=True)[:500]
    return visible_text(found.group(0))


def visible_text(body: str) -> str:
    """The visible text of a piece of HTML, as `text_of` reads a page."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


def plain(text: str) -> str:
    """A text as `text_of` gives it: its no-break spaces read as spaces (for the tests that look
    for words; tests/integration/test_typography.py checks which space is where)."""
    return re.sub(r"\s+", " ", text)


def multipart(data: dict[str, Any]) -> tuple[bytes, str]:
    """A multipart body built in memory (the test client spools big bodies to a temporary file
    that it never closes), and its content type. Files are (stream, name) pairs."""
    fields = MultiDict()
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                item = FileStorage(stream=item[0], filename=item[1])
            fields.add(name, item)
    stream, _length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    return stream.getvalue(), f'multipart/form-data; boundary="{boundary}"'


def _read(response: TestResponse) -> TestResponse:
    """The whole body read and the response closed (a streamed file is closed at once)."""
    response.get_data()
    response.close()
    return response


@dataclass
class Browser:
    client: FlaskClient
    last: TestResponse | None = None

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        self.last = _read(self.client.get(url, **kwargs))
        return self.last

    def csrf(self, url: str | None = None) -> str:
        page = self.get(url) if url else self.last
        assert page is not None
        match = CSRF.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        from_page: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        token = self.csrf(from_page or url)
        payload = dict(data or {})
        payload["csrf_token"] = token
        if kwargs.get("content_type") == "multipart/form-data":
            body, kwargs["content_type"] = multipart(payload)
            self.last = _read(self.client.post(url, data=body, **kwargs))
        else:
            self.last = _read(self.client.post(url, data=payload, **kwargs))
        return self.last

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        response = self.post("/connexion", {"email": email, "password": password})
        assert response.status_code == 302, text_of(response)
        return response

    def logout(self) -> None:
        self.post("/deconnexion", from_page="/connexion")


def pdf(name: str = "piece.pdf", content: bytes = SAMPLE_PDF) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def location_id(response: TestResponse, pattern: str) -> int:
    match = re.search(pattern, response.headers.get("Location", ""))
    assert match, f"unexpected redirect: {response.headers.get('Location')}"
    return int(match.group(1))
