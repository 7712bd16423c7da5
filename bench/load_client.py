"""A virtual user's browser for the load test: one keep-alive HTTP/1.1 connection to the
loopback server (stdlib http.client), its cookies, the CSRF token of the page it shows, no
redirect followed; every answer timed and filed under its kind.

An answer is an error when its status is not the one that kind expects (a 5xx always is); a
409 (someone else did it first) is counted apart, as a conflict. A page sent with a validator
(ETag, Last-Modified) and not `no-store` is asked again conditionally, as a browser's cache
does: its 304 counts as the page (and apart, by kind). Only loopback addresses are
accepted: the load never leaves the machine.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.support import CSRF, PASSWORD, multipart

LOOPBACK = ("127.0.0.1", "localhost", "::1")
TIMEOUT = 30.0
CACHED_PAGES = 100  # a browser's cache, per virtual user
FIRST_ERRORS = 5  # kept per user, with their answer's start


@dataclass
class Answer:
    status: int
    body: str
    location: str

    @property
    def csrf(self) -> str | None:
        match = CSRF.search(self.body)
        return match.group(1) if match else None


@dataclass
class Record:
    """What one virtual user saw: latencies by kind, errors, conflicts, completions."""

    # kind → (perf_counter at the end of the answer, seconds it took)
    latencies: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    conflicts: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)  # 304s, by kind
    done: list[tuple[float, str]] = field(default_factory=list)  # (when, what was done)

    def did(self, what: str) -> None:
        self.done.append((time.perf_counter(), what))

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.first_errors) < FIRST_ERRORS:
            self.first_errors.append(f"{kind}: {what}")


class Unexpected(Exception):
    """An answer the user could not go on from (already recorded as an error)."""


class Browser:
    def __init__(self, host: str, port: int, record: Record, *, timeout: float = TIMEOUT) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the load test only talks to the loopback interface, not {host}")
        self.host, self.port, self.timeout = host, port, timeout
        self.record = record
        self.cookies: dict[str, str] = {}
        # path → the validators of its last 200 (ETag, Last-Modified): sent back as a
        # browser's cache does, a 304 then being as good as a 200
        self.validators: dict[str, dict[str, str]] = {}
        self.bodies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    # --- one exchange ---------------------------------------------------------------------

    def _exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, http.client.HTTPMessage]:
        """The request on the kept-alive connection; once more on a fresh one when the server
        had closed the idle one before it was sent."""
        for attempt in (1, 2):
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            if response.will_close:
                self.close()
            return response.status, data, response.msg
        raise AssertionError("unreachable")

    def send(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        expect: int = 200,
    ) -> Answer:
        """One request, timed and filed under `kind`; an unexpected status raises Unexpected
        (after recording it as an error, or as a conflict for a 409)."""
        headers = {"Accept": "text/html", "Accept-Language": "fr"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        if method == "GET":
            headers.update(self.validators.get(path, {}))
        started = time.perf_counter()
        try:
            status, data, message = self._exchange(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            self.record.error(kind, f"{method} {path}: {type(error).__name__}: {error}")
            raise Unexpected(kind) from error
        ended = time.perf_counter()
        self.record.latencies[kind].append((ended, ended - started))
        for header in message.get_all("Set-Cookie") or []:
            self._keep_cookie(header)
        answer = Answer(status, data.decode("utf-8", "replace"), message.get("Location", ""))
        if method == "GET" and expect == 200:
            if status == 304 and path in self.validators:
                self.record.not_modified[kind] += 1
                answer = Answer(200, self.bodies.get(path, ""), "")
                status = 200
            elif status == 200:
                self._keep_validators(path, answer, message)
        if status != expect:
            if status == 409:
                self.record.conflicts[kind] += 1
            else:
                snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.body))[:200]
                self.record.error(kind, f"{method} {path}: HTTP {status} {snippet}")
            raise Unexpected(kind)
        return answer

    def _keep_validators(self, path: str, answer: Answer, message: http.client.HTTPMessage) -> None:
        cache_control = (message.get("Cache-Control") or "").lower()
        found = {}
        if message.get("ETag"):
            found["If-None-Match"] = message["ETag"]
        if message.get("Last-Modified"):
            found["If-Modified-Since"] = message["Last-Modified"]
        if found and "no-store" not in cache_control:
            self.validators.pop(path, None)
            self.bodies.pop(path, None)
            if len(self.validators) >= CACHED_PAGES:  # the oldest page leaves the cache
                oldest = next(iter(self.validators))
                del self.validators[oldest], self.bodies[oldest]
            self.validators[path] = found
            self.bodies[path] = answer.body

    def _keep_cookie(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.strip().partition("=")
        expired = re.search(r"max-age=0\b|expires=[^;]*1970", attributes, re.I)
        if expired or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    # --- what a browser does ---------------------------------------------------------------

    def get(self, kind: str, path: str, expect: int = 200) -> Answer:
        return self.send(kind, "GET", path, expect=expect)

    def post_form(
        self,
        kind: str,
        path: str,
        data: dict[str, Any],
        token: str,
        *,
        multipart_form: bool = False,
        expect: int = 302,
    ) -> Answer:
        """The form as the browser encodes it (multipart when the form says so)."""
        fields = {**data, "csrf_token": token}
        if multipart_form:
            body, content_type = multipart(fields)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        return self.send(kind, "POST", path, body=body, content_type=content_type, expect=expect)

    def sign_in(self, email: str) -> None:
        page = self.get("sign-in page", "/connexion")
        token = _token(self, page)
        self.post_form("sign-in", "/connexion", {"email": email, "password": PASSWORD}, token)


def _token(browser: Browser, page: Answer) -> str:
    token = page.csrf
    if token is None:
        browser.record.error("csrf", "no CSRF token on the page")
        raise Unexpected("csrf")
    return token


def token_of(browser: Browser, page: Answer) -> str:
    """The page's CSRF token (its absence is an error of the load)."""
    return _token(browser, page)


def form_is_multipart(page: Answer, action: str) -> bool:
    """Whether the page's form posting to `action` is sent as multipart/form-data."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>', page.body)
    return form is not None and "multipart/form-data" in form.group(0)
