"""TOTP two-factor sign-in for staff roles (RFC 6238 codes, as authenticator applications
make them: 6 digits, a new one every 30 seconds).

The deployment chooses (`EngineSettings.totp`, INVENTAIRE_TOTP): `off` (nobody is asked for a
code), `optional` (staff who enrolled are), `required-for-admins` (besides, an administrator
without it is sent to the enrolment before anything else). Enrolment: a secret shown as text
and as a QR code, confirmed by a first code; ten recovery codes are then shown once and kept
hashed. At sign-in, after the right password, a code of the current step or either neighbour
(a clock a little off) is accepted once: the step of the last accepted code is kept, and that
code or an older one is refused afterwards. A recovery code serves once. Wrong codes are
throttled (login_throttle.CODE). An administrator can remove another account's enrolment.
The caller owns the transaction; every change is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from enum import StrEnum

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import STAFF_ROLES, Actor
from engine.core.clock import utcnow
from engine.core.errors import FormInvalid
from engine.core.models import RecoveryCode, RoleName, TotpEnrolment, User
from engine.core.settings import settings_of

ISSUER = "Inventaire"
RECOVERY_CODES = 10
# Lower case letters and digits that cannot be taken for one another (no 0/o, 1/l/i).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
WRONG_CODE = "Code incorrect\u00a0: saisissez les 6\u00a0chiffres affichés par votre application."


class Mode(StrEnum):
    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED_FOR_ADMINS = "required-for-admins"


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    RECOVERY = "recovery"
    REPLAYED = "replayed"
    WRONG = "wrong"


def mode(session: Session) -> Mode:
    return Mode(settings_of(session).totp)


def offered_to(roles: frozenset[str], current: Mode) -> bool:
    """Whether the account may enrol (staff roles, the deployment not `off`)."""
    return current is not Mode.OFF and bool(roles & STAFF_ROLES)


def required_of(roles: frozenset[str], current: Mode) -> bool:
    return current is Mode.REQUIRED_FOR_ADMINS and RoleName.ADMIN in roles


def enrolment(session: Session, user_id: int) -> TotpEnrolment | None:
    return session.get(TotpEnrolment, user_id)


def is_enrolled(session: Session, user_id: int) -> bool:
    found = session.scalar(
        select(TotpEnrolment.confirmed_at).where(TotpEnrolment.user_id == user_id)
    )
    return found is not None


def begin(session: Session, user_id: int) -> TotpEnrolment:
    """The enrolment being set up (the same secret while it is not confirmed)."""
    found = enrolment(session, user_id)
    if found is None:
        found = TotpEnrolment(user_id=user_id, secret=pyotp.random_base32(), created_at=utcnow())
        session.add(found)
        session.flush()
    return found


def provisioning_uri(found: TotpEnrolment, email: str) -> str:
    return pyotp.TOTP(found.secret).provisioning_uri(name=email, issuer_name=ISSUER)


def confirm(session: Session, actor: Actor, code: str, now: datetime) -> list[str]:
    """The first code proves the application holds the secret; returns the recovery codes
    (shown once, only their hashes kept)."""
    assert actor.id is not None
    found = enrolment(session, actor.id)
    if found is None or found.confirmed_at is not None:
        raise FormInvalid({"code": "Rechargez la page pour recommencer l'activation."})
    step = _matching_step(found.secret, code, now)
    if step is None:
        raise FormInvalid({"code": WRONG_CODE})
    found.confirmed_at = now
    found.last_step = step
    codes = _new_recovery_codes(session, actor.id)
    audit.record(
        session, None, actor, "compte", f"Double authentification activée\u00a0: {actor.email}."
    )
    return codes


def check(session: Session, user: User, typed: str, now: datetime) -> Outcome:
    """A code typed at sign-in: a TOTP code (accepted once) or a recovery code (used up)."""
    found = enrolment(session, user.id)
    if found is None or found.confirmed_at is None:
        return Outcome.WRONG
    cleaned = "".join(typed.split()).replace("-", "").lower()[:40]
    if cleaned.isdigit():
        step = _matching_step(found.secret, cleaned, now)
        if step is None:
            return Outcome.WRONG
        if found.last_step is not None and step <= found.last_step:
            return Outcome.REPLAYED
        found.last_step = step
        return Outcome.ACCEPTED
    code = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
    )
    if code is None:
        return Outcome.WRONG
    code.used_at = now
    left = len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
    audit.record(
        session,
        None,
        Actor.from_user(user),
        "connexion",
        f"Code de secours utilisé pour se connecter\u00a0: {user.email} ({left} restant(s)).",
    )
    return Outcome.RECOVERY


def remove(session: Session, user: User, by: Actor) -> None:
    """An administrator removes an account's enrolment (a lost phone): the account signs in
    with its password alone until it enrols again (at once, when it is required)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(TotpEnrolment).where(TotpEnrolment.user_id == user.id))
    audit.record(
        session,
        None,
        by,
        "compte",
        f"Double authentification réinitialisée par un administrateur\u00a0: {user.email}.",
    )


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    shown = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        session.add(RecoveryCode(user_id=user_id, code_hash=_hash(raw)))
        shown.append(f"{raw[:5]}-{raw[5:]}")
    session.flush()
    return shown


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
