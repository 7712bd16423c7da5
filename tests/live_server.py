"""A real server in a process of its own, and users talking to it over real HTTP.

For tests where the server itself is under trial (a request that must not stall the others, a
server that must go on serving): a thread in the test process would share its fate.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import CSRF, PASSWORD

ROOT = Path(__file__).resolve().parent.parent

_SERVE = """
import sys
from waitress.server import create_server
from web import create_app
server = create_server(create_app(), host="127.0.0.1", port=0, threads=8)
print(server.effective_port, flush=True)
server.run()
"""


@contextmanager
def live_server(
    database_url: str, instance_dir: Path, settings: Mapping[str, str] | None = None
) -> Iterator[str]:
    """`web.create_app()` served by waitress (8 threads) in a child process, configured by the
    environment as in production (`settings`: more INVENTAIRE_* variables); yields its URL."""
    environment = dict(os.environ)
    environment.update(
        {
            "INVENTAIRE_DATABASE_URL": database_url,
            "INVENTAIRE_SECRET_KEY": "live-server-test",
            "INVENTAIRE_UPLOAD_DIR": str(instance_dir / "pieces"),
            "PYTHONPATH": str(ROOT),
            **(settings or {}),
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=instance_dir,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), "the server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]

    @property
    def text(self) -> str:
        """The visible text, as tests.support.text_of reads it."""
        import html

        body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", self.body, flags=re.S)
        body = re.sub(r"<[^>]+>", " ", body)
        return re.sub(r"\s+", " ", html.unescape(body)).strip()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class HttpUser:
    """A person with a browser: cookies, CSRF tokens taken from the pages, no redirects followed."""

    base: str
    timeout: float = 60.0
    cookies: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def _opener(self) -> urllib.request.OpenerDirector:
        return urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(
        self,
        path: str,
        data: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        asked = urllib.request.Request(self.base + path, data=body, headers=dict(headers or {}))
        try:
            with self._opener().open(asked, timeout=self.timeout) as reply:
                return Reply(reply.status, reply.read().decode(), dict(reply.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), dict(error.headers))

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        return self.request(path, headers=headers)

    def post(self, path: str, data: dict[str, str], *, from_page: str | None = None) -> Reply:
        page = self.get(from_page or path)
        match = CSRF.search(page.body)
        assert match, f"no CSRF token on {from_page or path}"
        return self.request(path, {**data, "csrf_token": match.group(1)})

    def login(self, email: str, password: str = PASSWORD) -> None:
        reply = self.post("/connexion", {"email": email, "password": password})
        assert reply.status == 302, reply.text
