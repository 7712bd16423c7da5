"""Who calls the API: a bearer token (never the browser's session cookie, so the API needs no
CSRF token), its scopes, and the rate limits per token and per address.

Rate limits: the `limits` package's moving window, in this process's memory. They count per
process: under `inventaire serve --workers N` (or N hosts), a client whose calls are spread over
the processes may send up to N times the limit in all, and never more than the limit to any one
process, which is what the limits are for: keeping one client from starving the others of a
process's threads, not billing (docs/operations.md, "Several processes, several machines").
The sign-in throttle of engine/people/login_throttle.py is kept in the database because it
must hold across processes and restarts against password guessing; a token is 256 random bits,
so guessing is hopeless and a write per request would cost more than it protects.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, after_this_request, current_app, g, request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.exc import OperationalError

from engine.core import dialect
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.people import api_tokens
from web.api.problems import Problem
from web.database import db, sessions

log = logging.getLogger("inventaire.web.api")
View = TypeVar("View", bound=Callable[..., Any])
SCHEME = "bearer"


def init_app(app: Flask) -> None:
    storage = MemoryStorage()
    app.extensions["api_limiter"] = MovingWindowRateLimiter(storage)
    app.extensions["api_limiter_storage"] = storage


def reset_limits(app: Flask) -> None:
    """Forget every count (tests, and an operator's `flask shell`)."""
    app.extensions["api_limiter_storage"].reset()


def load_caller() -> None:
    """The blueprint's first hook: the actor of the bearer token, or nobody. The session
    cookie is ignored here."""
    g.actor = None
    g.api_token = None
    g.api_scopes = frozenset()
    _limit("adresse", request.remote_addr or "?", current_app.config["API_RATE_LIMIT_ADDRESS"])
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != SCHEME or not secret.strip():
        raise Problem(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    now = utcnow()
    found = api_tokens.resolve(db(), secret.strip(), now, request.remote_addr)
    if found is None:
        raise Problem(
            401,
            "Ce jeton d'accès est inconnu, expiré ou révoqué.",
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    _limit("jeton", str(found.token_id), current_app.config["API_RATE_LIMIT_TOKEN"])
    g.actor = found.actor
    g.api_token = found.token_id
    g.api_scopes = found.scopes
    if found.stale:
        _touch_when_done(found.token_id, request.remote_addr)


def check_requirement() -> None:
    """The blueprint's second hook: the operation's scope and rule (`require`), checked before
    its body is read and validated, so that a caller without the right learns nothing from an
    answer about the body (a 422) and gets a 401 or 403 whatever it sent."""
    view = current_app.view_functions.get(request.endpoint or "")
    requirement: Requirement | None = getattr(view, REQUIREMENT, None)
    if requirement is not None:
        requirement.enforce(request.view_args or {})


def _limit(kind: str, who: str, rule: str) -> None:
    limiter: MovingWindowRateLimiter = current_app.extensions["api_limiter"]
    item = parse(rule)
    if limiter.hit(item, kind, who):
        return
    stats = limiter.get_window_stats(item, kind, who)
    wait = max(1, math.ceil(stats.reset_time - time.time()))
    per = "ce jeton" if kind == "jeton" else "votre adresse réseau"
    raise Problem(
        429,
        f"Trop de requêtes depuis {per} ({rule.replace('/', ' par ')})\u00a0: "
        f"réessayez dans {wait} seconde{'s' if wait > 1 else ''}.",
        headers={"Retry-After": str(wait)},
    )


def _touch_when_done(token_id: int, address: str | None) -> None:
    """The last use, once the answer is sent, in a transaction of its own (as web/auth.py does
    for sessions: the request's may hold SQLite's write lock until its end)."""
    factory = sessions()
    now = utcnow()

    @after_this_request
    def schedule(response: Any) -> Any:
        response.call_on_close(lambda: _touch(factory, token_id, now, address))
        return response


def _touch(factory: Any, token_id: int, now: Any, address: str | None) -> None:
    try:
        with factory() as writer:
            dialect.begin_writing(writer)
            api_tokens.touch(writer, token_id, now, address)
            writer.commit()
    except OperationalError:
        log.warning("API token use not recorded", exc_info=True)


def caller() -> Actor:
    """The token's actor; 401 without one."""
    actor: Actor | None = g.get("actor")
    if actor is None:
        raise Problem(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    return actor


# The attribute `require` leaves on a view (copied onto spectree's wrapper by functools.wraps).
REQUIREMENT = "api_requirement"


@dataclass(frozen=True)
class Requirement:
    """What an operation asks of its caller: a token `scope`, an account `rule`
    (engine.workflow.access), and, where the operation is about one object, `on`: the object's
    rule, given the address's values (raises the refusal's error)."""

    scope: str
    rule: Callable[[Actor], bool] | None = None
    on: Callable[[Actor, dict[str, Any]], None] | None = None

    def enforce(self, view_args: dict[str, Any]) -> None:
        actor = caller()
        if self.scope not in g.api_scopes:
            raise Problem(
                403,
                f"Ce jeton n'a pas la portée «\u00a0{self.scope}\u00a0» que demande cette "
                "opération.",
            )
        if self.rule is not None and not self.rule(actor):
            raise Problem(403)
        if self.on is not None:
            self.on(actor, view_args)


def require(
    scope: str,
    rule: Callable[[Actor], bool] | None = None,
    *,
    on: Callable[[Actor, dict[str, Any]], None] | None = None,
) -> Callable[[View], View]:
    """A view for tokens with `scope` whose account `rule` lets in (and the object's rule
    `on`): checked by `check_requirement` before the body is read, and again at the call."""
    requirement = Requirement(scope, rule, on)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            requirement.enforce(kwargs)
            return view(*args, **kwargs)

        setattr(wrapped, REQUIREMENT, requirement)
        return wrapped  # type: ignore[return-value]

    return decorator
