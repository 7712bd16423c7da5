"""Accounts, roles and organisations."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.core.clock import utcnow
from engine.core.errors import FormInvalid
from engine.core.formats import EMAIL
from engine.core.models import Organisation, OrganisationKind, Role, RoleName, User, UserRole
from engine.core.settings import settings_of
from engine.people import password_policy, user_sessions

# Checked against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = generate_password_hash("inventaire-dummy")


def ensure_roles(session: Session) -> dict[str, Role]:
    existing = {role.name: role for role in session.scalars(select(Role))}
    for name in RoleName:
        if name not in existing:
            role = Role(name=name)
            session.add(role)
            existing[name] = role
    session.flush()
    return existing


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find_user_by_email(session, email) if email else None
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    roles: Iterable[str],
    organisation_id: int | None = None,
    enforce_policy: bool = True,
) -> User:
    """A new account. `enforce_policy=False` only for the demonstration's accounts, whose
    shared password is published (engine/studio/demo.py), and for tests' fixtures."""
    email = email.strip().lower()
    errors: dict[str, str] = {}
    if not EMAIL.fullmatch(email) or not email.isprintable() or len(email) > 254:
        errors["email"] = "Saisissez une adresse électronique valide (ex. nom@domaine.fr)."
    elif find_user_by_email(session, email) is not None:
        errors["email"] = "Un compte existe déjà avec cette adresse."
    if not name.strip() or len(name) > 200:
        errors["name"] = "Saisissez le nom (200 caractères au plus)."
    refused = _refused(session, password, email, name) if enforce_policy else None
    if refused:
        errors["password"] = refused
    elif not password:
        errors["password"] = "Saisissez un mot de passe."
    if errors:
        raise FormInvalid(errors)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=generate_password_hash(password),
        organisation_id=organisation_id,
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    set_roles(session, user, roles)
    return user


def set_roles(session: Session, user: User, roles: Iterable[str]) -> None:
    wanted = set(roles)
    unknown = wanted - {str(name) for name in RoleName}
    if unknown:
        raise FormInvalid({"roles": "Rôle inconnu\u00a0: " + ", ".join(sorted(unknown))})
    available = ensure_roles(session)
    session.query(UserRole).filter(UserRole.user_id == user.id).delete()
    for name in sorted(wanted):
        session.add(UserRole(user_id=user.id, role_id=available[name].id))
    session.flush()
    session.expire(user, ["roles"])


def _refused(session: Session, password: str, email: str, name: str) -> str | None:
    minimum = settings_of(session).password_min_length
    return password_policy.problem(password, minimum, email=email, name=name)


def set_password(user: User, password: str, *, enforce_policy: bool = True) -> None:
    """A new password, under the policy; every session of the user ends (whoever knew the old
    one is out). `enforce_policy=False` only for tests putting a fixture back."""
    session = object_session(user)
    if enforce_policy:
        refused = (
            _refused(session, password, user.email, user.name)
            if session is not None
            else password_policy.problem(password, password_policy.DEFAULT_MIN_LENGTH)
        )
        if refused:
            raise FormInvalid({"password": refused})
    user.password_hash = generate_password_hash(password)
    _end_sessions(user)


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate an account; a deactivated one's sessions end at once."""
    user.active = active
    if not active:
        _end_sessions(user)


def _end_sessions(user: User) -> None:
    session = object_session(user)
    if session is not None and user.id is not None:
        user_sessions.revoke_all(session, user.id)


def create_organisation(
    session: Session,
    *,
    kind: str,
    name: str,
    siret: str | None = None,
    mandant_id: int | None = None,
) -> Organisation:
    errors: dict[str, str] = {}
    if kind not in {str(value) for value in OrganisationKind}:
        errors["kind"] = "Choisissez un type d'organisation de la liste."
    if not name.strip() or len(name) > 300:
        errors["name"] = "Saisissez le nom de l'organisation (300 caractères au plus)."
    if siret and (len(siret) != 14 or not (siret.isascii() and siret.isdigit())):
        errors["siret"] = "Le SIRET compte 14 chiffres."
    if kind == OrganisationKind.CERTIFICATEUR and mandant_id is None:
        errors["mandant_id"] = (
            "Un organisme certificateur dépose sur mandat d'une autorité légitime."
        )
    if mandant_id is not None and session.get(Organisation, mandant_id) is None:
        errors["mandant_id"] = "Choisissez l'autorité mandante dans la liste."
    if errors:
        raise FormInvalid(errors)
    organisation = Organisation(
        kind=kind,
        name=name.strip(),
        siret=siret or None,
        mandant_id=mandant_id,
        created_at=utcnow(),
    )
    session.add(organisation)
    session.flush()
    return organisation


def user_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """{user id: name} for the given ids (None ignored), in one query."""
    wanted = [value for value in ids if value is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())
