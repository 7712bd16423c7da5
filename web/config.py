"""Configuration from the environment, read in create_app (never at import time), and the
engine's settings made from it."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.core.antivirus import Antivirus, ClamdScanner, parse_address
from engine.core.db import default_sqlite_url
from engine.core.settings import (
    DEFAULT_MAX_PIECE_BYTES,
    INVENTAIRE_SERVICE_ID,
    EngineSettings,
    Links,
    OidcSettings,
    ServiceContact,
    SessionLifetimes,
    SmtpSettings,
    WebhookSettings,
    WorkerSettings,
    service_key,
)

# The DSFR as `make` copies it from npm (@gouvfr/dsfr): its fonts and logo for the PDFs too.
DSFR_DIR = Path(__file__).resolve().parent / "static" / "dsfr"


def from_environment(instance_path: str) -> dict[str, Any]:
    """The settings the environment gives; the database and the secret key may be left to
    `with_local_defaults` (None here), so that nothing is written before the caller's own
    configuration is known."""
    env = os.environ
    upload_dir = env.get("INVENTAIRE_UPLOAD_DIR") or str(Path(instance_path) / "pieces")
    max_bytes = int(env.get("INVENTAIRE_MAX_UPLOAD_BYTES", DEFAULT_MAX_PIECE_BYTES))
    return {
        "DATABASE_URL": env.get("INVENTAIRE_DATABASE_URL") or None,
        "SECRET_KEY": env.get("INVENTAIRE_SECRET_KEY") or None,
        "UPLOAD_DIR": upload_dir,
        # The antivirus (docs/security.md): clamd's socket path or host:port; where refused
        # files are kept; whether an upload goes through unscanned when clamd cannot answer.
        "CLAMD": env.get("INVENTAIRE_CLAMD") or None,
        "CLAMD_TIMEOUT": float(env.get("INVENTAIRE_CLAMD_TIMEOUT", "30")),
        "CLAMD_FAIL_OPEN": env.get("INVENTAIRE_CLAMD_FAIL_OPEN") == "1",
        "QUARANTINE_DIR": env.get("INVENTAIRE_QUARANTINE_DIR")
        or str(Path(instance_path) / "quarantaine"),
        "MAX_UPLOAD_BYTES": max_bytes,
        # Room for several pieces and the form around them in one request.
        "MAX_CONTENT_LENGTH": max_bytes * 4 + 1024 * 1024,
        "OFFICIAL": env.get("INVENTAIRE_OFFICIAL") == "1",
        "PROCESSES_DIR": env.get("INVENTAIRE_PROCESSES_DIR") or str(default_processes_dir()),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Served over HTTPS only: Secure cookies and Strict-Transport-Security.
        "HTTPS": env.get("INVENTAIRE_HTTPS") == "1",
        "SESSION_COOKIE_SECURE": env.get("INVENTAIRE_HTTPS") == "1",
        # A signed-in session ends after this long without a request, and this long after the
        # sign-in however active (engine/user_sessions.py).
        # Reverse proxies in front of the application whose X-Forwarded-For/-Proto are trusted
        # (0: none): the sign-in throttle then counts the client's address, not the proxy's.
        "TRUSTED_PROXIES": int(env.get("INVENTAIRE_TRUSTED_PROXIES", "0")),
        "SESSION_IDLE_MINUTES": int(env.get("INVENTAIRE_SESSION_IDLE_MINUTES", "120")),
        "SESSION_MAX_HOURS": int(env.get("INVENTAIRE_SESSION_MAX_HOURS", "12")),
        "WTF_CSRF_TIME_LIMIT": None,
        # The address written in emails' links.
        "BASE_URL": env.get("INVENTAIRE_BASE_URL") or "http://localhost:5000",
        # Emails: through SMTP when a host is set, otherwise kept in the outbox (admin pages).
        "SMTP_HOST": env.get("INVENTAIRE_SMTP_HOST") or None,
        "SMTP_PORT": int(env.get("INVENTAIRE_SMTP_PORT", "25")),
        "SMTP_USER": env.get("INVENTAIRE_SMTP_USER") or None,
        "SMTP_PASSWORD": env.get("INVENTAIRE_SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": env.get("INVENTAIRE_SMTP_STARTTLS") == "1",
        "SMTP_SENDER": env.get("INVENTAIRE_SMTP_FROM")
        or "Inventaire <ne-pas-repondre@inventaire.invalid>",
        # An export of more dossiers than this is built by a job (progress page, then a link).
        "EXPORT_SYNC_MAX_ROWS": int(env.get("INVENTAIRE_EXPORT_SYNC_MAX_ROWS", "2000")),
        # The worker: how often it looks for due jobs, and how long a claim lasts.
        "WORKER_POLL_SECONDS": float(env.get("INVENTAIRE_WORKER_POLL_SECONDS", "1")),
        "WORKER_LEASE_SECONDS": float(env.get("INVENTAIRE_WORKER_LEASE_SECONDS", "60")),
        "WORKER_MAX_ATTEMPTS": int(env.get("INVENTAIRE_WORKER_MAX_ATTEMPTS", "5")),
        # Logging (web/logs.py): the level of the inventaire.* loggers, "text" or "json" lines.
        "LOG_LEVEL": env.get("INVENTAIRE_LOG_LEVEL") or "INFO",
        "LOG_FORMAT": env.get("INVENTAIRE_LOG_FORMAT") or "text",
        # The service in charge of the dossiers, as letters name it (each overrides the value
        # of the process's "service" block in process.json): the CNCP's (the Inventaire's)
        # unkeyed, any service's by its id (INVENTAIRE_SERVICE_FRANCE_COMPETENCES_ADRESSE).
        "SERVICE_NOM": env.get("INVENTAIRE_SERVICE_NOM") or "",
        "SERVICE_ADRESSE": env.get("INVENTAIRE_SERVICE_ADRESSE") or "",
        "SERVICE_COURRIEL": env.get("INVENTAIRE_SERVICE_COURRIEL") or "",
        "SERVICE_TELEPHONE": env.get("INVENTAIRE_SERVICE_TELEPHONE") or "",
        "SERVICES": keyed_services(env),
        # Opens /metrics to a scraper that is not on this machine (Authorization: Bearer …).
        "METRICS_TOKEN": env.get("INVENTAIRE_METRICS_TOKEN") or None,
        # How many days before an expert's deadline the expert is reminded (no opinion yet).
        "EXPERT_REMINDER_DAYS": int(env.get("INVENTAIRE_EXPERT_RAPPEL_JOURS", "3")),
        # The shortest password a person may choose (CNIL délibération 2022-100: 12 with a
        # limit on failed attempts); never below 8, whatever is set.
        "PASSWORD_MIN_LENGTH": int(env.get("INVENTAIRE_PASSWORD_MIN_LENGTH", "12")),
        # TOTP two-factor sign-in for staff: off, optional, required-for-admins.
        "TOTP": env.get("INVENTAIRE_TOTP") or "optional",
        # The audit trail: the seals' key (kept by the operator, never in the database) and
        # how often the events are linked into their chains (docs/operations.md).
        "AUDIT_SEAL_KEY": env.get("INVENTAIRE_AUDIT_SEAL_KEY") or "",
        "AUDIT_LINK_MINUTES": int(env.get("INVENTAIRE_AUDIT_LINK_MINUTES", "60")),
        # How long personal data is kept (RGPD art. 5.1.e; docs/operations.md).
        "RETENTION_BROUILLON_MOIS": int(env.get("INVENTAIRE_RETENTION_BROUILLON_MOIS", "6")),
        "RETENTION_AVIS_JOURS": int(env.get("INVENTAIRE_RETENTION_AVIS_JOURS", "15")),
        "RETENTION_DOSSIER_CLOS_MOIS": int(env.get("INVENTAIRE_RETENTION_DOSSIER_CLOS_MOIS", "60")),
        # Webhooks (docs/webhooks.md): a subscriber on a private, loopback or link-local
        # address is refused unless this is 1 (a receiver on the operator's own network).
        "WEBHOOKS_ALLOW_PRIVATE": env.get("INVENTAIRE_WEBHOOKS_ALLOW_PRIVATE") == "1",
        # OpenID Connect sign-in (docs/authentication.md): off unless the issuer and the client
        # id are set.
        "OIDC_ISSUER": env.get("INVENTAIRE_OIDC_ISSUER") or "",
        "OIDC_CLIENT_ID": env.get("INVENTAIRE_OIDC_CLIENT_ID") or "",
        "OIDC_CLIENT_SECRET": env.get("INVENTAIRE_OIDC_CLIENT_SECRET") or "",
        "OIDC_NAME": env.get("INVENTAIRE_OIDC_NAME") or OidcSettings.name,
        "OIDC_LABEL": env.get("INVENTAIRE_OIDC_LABEL") or "",
        "OIDC_SCOPES": env.get("INVENTAIRE_OIDC_SCOPES") or OidcSettings.scopes,
        "OIDC_TRUST_EMAILS": env.get("INVENTAIRE_OIDC_TRUST_EMAILS") == "1",
    }


# INVENTAIRE_SERVICE_<ID>_<VALUE>: one value of one service's contact.
_KEYED_SERVICE = re.compile(r"INVENTAIRE_SERVICE_([A-Z0-9_]+?)_(NOM|ADRESSE|COURRIEL|TELEPHONE)")
_CONTACT_VALUES = ("nom", "adresse", "courriel", "telephone")


def keyed_services(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The operator's values per service, by the service's key (`FRANCE_COMPETENCES`):
    {"FRANCE_COMPETENCES": {"adresse": "…"}}."""
    services: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        match = _KEYED_SERVICE.fullmatch(name)
        if match and value:
            services.setdefault(match.group(1), {})[match.group(2).lower()] = value
    return services


def service_overrides(config: Mapping[str, Any]) -> dict[str, ServiceContact]:
    """Each service's contact as the operator sets it: the unkeyed SERVICE_* values are the
    Inventaire's service (the CNCP), the keyed ones (SERVICES) each their own service's,
    winning over the unkeyed ones for the CNCP."""
    unkeyed = ServiceContact(
        nom=str(config.get("SERVICE_NOM") or ""),
        adresse=str(config.get("SERVICE_ADRESSE") or ""),
        courriel=str(config.get("SERVICE_COURRIEL") or ""),
        telephone=str(config.get("SERVICE_TELEPHONE") or ""),
    )
    found = {service_key(INVENTAIRE_SERVICE_ID): unkeyed}
    keyed = config.get("SERVICES") or {}
    for service_id, values in keyed.items():
        key = service_key(str(service_id))
        given = ServiceContact(**{name: str(values.get(name) or "") for name in _CONTACT_VALUES})
        found[key] = found.get(key, ServiceContact()).overridden_by(given)
    return {key: contact for key, contact in found.items() if contact != ServiceContact()}


def with_local_defaults(config: MutableMapping[str, Any], instance_path: str) -> None:
    """What nobody gave is kept in the instance folder: the SQLite database, and a secret key
    made once (so sessions survive restarts). A given value writes nothing there."""
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = default_sqlite_url(instance_path)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _local_secret(instance_path)


def engine_settings(config: Mapping[str, Any], links: Links) -> EngineSettings:
    """The engine's settings from the app's configuration, built once in create_app."""
    smtp = None
    if config.get("SMTP_HOST"):
        smtp = SmtpSettings(
            host=config["SMTP_HOST"],
            port=int(config.get("SMTP_PORT", 25)),
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS")),
            sender=config.get("SMTP_SENDER") or SmtpSettings.sender,
        )
    return EngineSettings(
        links=links,
        max_piece_bytes=int(config.get("MAX_UPLOAD_BYTES", DEFAULT_MAX_PIECE_BYTES)),
        worker=WorkerSettings(
            poll_interval=float(config.get("WORKER_POLL_SECONDS", 1.0)),
            lease=timedelta(seconds=float(config.get("WORKER_LEASE_SECONDS", 60))),
            max_attempts=int(config.get("WORKER_MAX_ATTEMPTS", 5)),
            smtp=smtp,
        ),
        sessions=SessionLifetimes(
            idle=timedelta(minutes=int(config.get("SESSION_IDLE_MINUTES", 120))),
            absolute=timedelta(hours=int(config.get("SESSION_MAX_HOURS", 12))),
        ),
        services=service_overrides(config),
        antivirus=antivirus(config),
        # The worker keeps the documents it generates beside the uploaded pieces.
        pieces_dir=Path(config["UPLOAD_DIR"]) if config.get("UPLOAD_DIR") else None,
        # The generated PDFs take the DSFR's fonts and bloc-marque from its copy served here.
        dsfr_dir=DSFR_DIR,
        official=bool(config.get("OFFICIAL")),
        link_secret=str(config.get("SECRET_KEY") or ""),
        expert_reminder_days=int(config.get("EXPERT_REMINDER_DAYS", 3)),
        password_min_length=max(8, int(config.get("PASSWORD_MIN_LENGTH", 12))),
        totp=_totp_mode(str(config.get("TOTP") or "optional")),
        audit_seal_key=str(config.get("AUDIT_SEAL_KEY") or ""),
        audit_link_minutes=max(1, int(config.get("AUDIT_LINK_MINUTES", 60))),
        retention_draft_months=max(1, int(config.get("RETENTION_BROUILLON_MOIS", 6))),
        retention_notice_days=max(1, int(config.get("RETENTION_AVIS_JOURS", 15))),
        retention_closed_months=max(1, int(config.get("RETENTION_DOSSIER_CLOS_MOIS", 60))),
        webhooks=WebhookSettings(allow_private=bool(config.get("WEBHOOKS_ALLOW_PRIVATE"))),
        oidc=oidc_settings(config),
    )


def antivirus(config: Mapping[str, Any]) -> Antivirus | None:
    """The antivirus hook when clamd is configured (CLAMD), else None; a malformed address
    stops the start with its reason."""
    address = config.get("CLAMD")
    if not address:
        return None
    parse_address(str(address))
    quarantine = config.get("QUARANTINE_DIR") or Path(str(config["UPLOAD_DIR"])).parent / (
        "quarantaine"
    )
    return Antivirus(
        scanner=ClamdScanner(str(address), timeout=float(config.get("CLAMD_TIMEOUT", 30))),
        quarantine_dir=Path(str(quarantine)),
        fail_open=bool(config.get("CLAMD_FAIL_OPEN")),
    )


def oidc_settings(config: Mapping[str, Any]) -> OidcSettings | None:
    """The OpenID Connect provider, when both its issuer and our client id are set."""
    issuer = str(config.get("OIDC_ISSUER") or "").strip().rstrip("/")
    client_id = str(config.get("OIDC_CLIENT_ID") or "").strip()
    if not (issuer and client_id):
        return None
    scopes = " ".join(str(config.get("OIDC_SCOPES") or OidcSettings.scopes).split())
    if "openid" not in scopes.split():
        scopes = f"openid {scopes}"
    name = str(config.get("OIDC_NAME") or OidcSettings.name)
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=str(config.get("OIDC_CLIENT_SECRET") or ""),
        name=name,
        label=str(config.get("OIDC_LABEL") or f"S'identifier avec {name}"),
        scopes=scopes,
        trust_emails=bool(config.get("OIDC_TRUST_EMAILS")),
    )


def _totp_mode(value: str) -> str:
    allowed = ("off", "optional", "required-for-admins")
    if value not in allowed:
        raise ValueError(f"INVENTAIRE_TOTP={value!r}: expected one of {', '.join(allowed)}.")
    return value


def default_processes_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "processes"


def _local_secret(instance_path: str) -> str:
    """A per-installation secret kept in the instance folder, so sessions survive restarts and
    every process of the machine signs with the same key. Written whole under another name,
    then linked into place: of processes starting together, one key wins and all read it
    (never a half-written file)."""
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        descriptor, name = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # 0600
        draft = Path(name)
        with os.fdopen(descriptor, "w") as written:
            written.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process's key is the key
        finally:
            draft.unlink()
    return path.read_text().strip()
