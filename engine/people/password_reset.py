"""A password reset by email: « Mot de passe oublié ? » sends a link that lets the account's
owner choose a new password.

The link's token is `<user id>.<time of issue>.<signature>`, the signature an HMAC-SHA256
(keyed with the installation's secret, for this purpose alone) of the id, the time and the
account's current password hash. Nothing is stored: the link is refused once an hour has
passed, and as soon as the password changes — by this very link (so it serves once), by an
administrator or by another link — since the signature no longer matches. A deactivated
account's link opens nothing. The caller owns the transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from engine import jobs
from engine.core import audit
from engine.core.actor import SYSTEM, Actor
from engine.core.errors import FormInvalid
from engine.core.models import User
from engine.core.settings import settings_of
from engine.emails import notifications
from engine.people import accounts, login_throttle

LIFETIME = timedelta(hours=1)
_PURPOSE = b"inventaire:reinitialisation-du-mot-de-passe:"

EXPIRED = "Ce lien a expiré (il vaut une heure)\u00a0: demandez-en un nouveau ci-dessous."
UNUSABLE = (
    "Ce lien n'est plus valable\u00a0: il a déjà servi, ou le mot de passe a été changé depuis. "
    "Demandez-en un nouveau ci-dessous."
)

MISMATCH = "Les deux mots de passe saisis diffèrent\u00a0: saisissez-les à nouveau."


@dataclass(frozen=True)
class Opened:
    """What a link opens: the account, or why not (a French sentence)."""

    user: User | None
    problem: str | None = None


def ask(session: Session, email: str, remote_addr: str | None, now: datetime) -> datetime | None:
    """A link asked for `email`: sent when such an active account exists (and audited), nothing
    otherwise; the caller answers the same either way. Returns when to come back if the
    request is throttled (nothing sent)."""
    retry_at = login_throttle.reset_request(session, email, remote_addr)
    if retry_at is not None:
        return retry_at
    user = accounts.find_user_by_email(session, email) if email.strip() else None
    if user is None or not user.active:
        return None
    token = make_token(session, user, now)
    jobs.enqueue(session, [notifications.for_password_reset(session, user, token, now + LIFETIME)])
    audit.record(
        session,
        None,
        SYSTEM,
        "compte",
        f"Lien de réinitialisation du mot de passe envoyé à {user.email}.",
    )
    return None


def make_token(session: Session, user: User, now: datetime) -> str:
    payload = f"{user.id}.{int(now.timestamp())}"
    return f"{payload}.{_signature(session, payload, user.password_hash)}"


def open_link(session: Session, token: str, now: datetime) -> Opened:
    """The account a link lets choose a new password, or why it does not."""
    parts = token.split(".")
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()) or len(token) > 200:
        return Opened(None, UNUSABLE)
    user = session.get(User, int(parts[0])) if len(parts[0]) < 19 else None
    if user is None or not user.active:
        return Opened(None, UNUSABLE)
    expected = _signature(session, f"{parts[0]}.{parts[1]}", user.password_hash)
    if not hmac.compare_digest(expected, parts[2]):
        return Opened(None, UNUSABLE)
    issued = datetime.fromtimestamp(int(parts[1][:12]), UTC)
    if now - issued > LIFETIME or issued - now > timedelta(minutes=5):
        return Opened(None, EXPIRED)
    return Opened(user)


def choose(session: Session, user: User, password: str, confirmation: str) -> None:
    """The new password, under the policy; every session of the account ends; audited."""
    if password != confirmation:
        raise FormInvalid({"confirmation": MISMATCH})
    accounts.set_password(user, password)  # the policy, and every session revoked
    audit.record(
        session,
        None,
        Actor.from_user(user),
        "compte",
        f"Mot de passe réinitialisé par le lien envoyé à {user.email}\u00a0; "
        "toutes ses connexions ont été fermées.",
    )


def _signature(session: Session, payload: str, password_hash: str) -> str:
    secret = settings_of(session).link_secret
    if not secret:
        raise RuntimeError(
            "No secret to sign password reset links with (EngineSettings.link_secret)."
        )
    key = hashlib.sha256(_PURPOSE + secret.encode("utf-8")).digest()
    digest = hmac.new(key, f"{payload}.{password_hash}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
