"""HTTP caching: validators, `Cache-Control`, and 304 answers to conditional requests.

The public register's pages and files (`public_register`) are the same for every anonymous
visitor: `Cache-Control: public` with a max-age, an `ETag` and a `Last-Modified` taken from the
register's change counter (engine.register.version), the release of the code and the address.
A conditional request whose validator still holds is answered 304 before the view runs (one
primary-key read), so a reverse proxy or a CDN can serve most of the public traffic and
revalidate it cheaply. A visitor with a session (signed in: their name in the header, CSRF
tokens in the forms; or a message waiting to be shown) gets `private, no-cache` and no
validator. Every answer varies on `Cookie`.

The JSON API (web/api/conditional.py) sends the same headers through `validated`, its ETags
hashed from the body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import cache, wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app, g, make_response, request, session
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Response

from engine.core.clock import PARIS, utcnow
from engine.register.version import register_state
from web.database import db

View = TypeVar("View", bound=Callable[..., Any])
AnyResponse = TypeVar("AnyResponse", bound=Response)
PRIVATE = "private, no-cache"
# The code whose output the validators stand for: a new release changes every ETag.
SOURCES = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "engine")
SOURCE_SUFFIXES = frozenset({".py", ".html", ".txt"})


@cache
def release() -> str:
    """A digest of the code and templates (read once per process): the same on every process
    and host running the same code, another after an upgrade."""
    digest = hashlib.sha256()
    for folder in SOURCES:
        for path in sorted(folder.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and "static" not in path.parts:
                digest.update(path.relative_to(folder.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def etag_of(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def anonymous() -> bool:
    """Nothing in this request belongs to one visitor: no actor, and a session cookie neither
    sent with anything in it nor about to be set."""
    return g.get("actor") is None and not session and not session.modified


def validated(
    response: AnyResponse,
    etag: str,
    *,
    public: bool,
    max_age: int = 0,
    stale: int = 0,
    last_modified: datetime | None = None,
    vary: str = "Cookie",
) -> AnyResponse:
    """`response` with its validators and `Cache-Control`, turned into a 304 when the request's
    own validators still hold. `public` lets shared caches keep it `max_age` seconds (0: each
    use revalidated), and serve it `stale` seconds more while they revalidate."""
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = _cache_control(public, max_age, stale)
    response.vary.add(vary)
    response.make_conditional(request)
    return response


def _cache_control(public: bool, max_age: int, stale: int) -> str:
    if not public:
        return PRIVATE
    if not max_age:
        return "no-cache"
    value = f"public, max-age={max_age}"
    return f"{value}, stale-while-revalidate={stale}" if stale else value


def public_register(max_age: int, stale: int = 0, *, daily: bool = False) -> Callable[[View], View]:
    """A public page of the register, cached as the module says. `daily`: its answer also
    changes with the day (a file named after it)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            if not anonymous():
                response = make_response(view(*args, **kwargs))
                response.headers["Cache-Control"] = PRIVATE
                response.vary.add("Cookie")
                return response
            state = g.register_state = register_state(db())  # the view may use it too
            day = f"{utcnow().astimezone(PARIS):%Y-%m-%d}" if daily else ""
            etag = etag_of(release(), state.key, request.full_path, day)

            def cacheable(response: Response) -> Response:
                return validated(
                    response,
                    etag,
                    public=True,
                    max_age=max_age,
                    stale=stale,
                    last_modified=state.changed_at,
                )

            if not is_resource_modified(request.environ, etag, last_modified=state.changed_at):
                return cacheable(current_app.response_class(status=304))
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response  # a redirection or an error: the usual headers
            return cacheable(response)

        return wrapped  # type: ignore[return-value]

    return decorator
