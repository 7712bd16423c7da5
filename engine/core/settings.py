"""Settings the engine is given (never read from the environment here: the web layer and the
command line read it and pass them on).

`EngineSettings` is built once by whoever runs the engine (the web layer's `create_app`) and
bound to its session factory (`engine.core.db.make_session_factory`): code deep in a user
action or a job reads it from the session it is given (`settings_of(session)`), and the worker
gets its own part (`WorkerSettings`) when it is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from engine.core.antivirus import Antivirus

# How big one piece (an uploaded file) may be, unless the operator says otherwise.
DEFAULT_MAX_PIECE_BYTES = 20 * 1024 * 1024
# Where a session factory keeps the settings its sessions run under (`Session.info`).
SESSION_INFO_KEY = "engine_settings"


@dataclass(frozen=True)
class OidcSettings:
    """OpenID Connect sign-in beside passwords (ProConnect for agents, FranceConnect, any
    provider with discovery): none when `issuer` or `client_id` is empty
    (docs/authentication.md)."""

    # The provider's issuer URL, its discovery at `<issuer>/.well-known/openid-configuration`.
    issuer: str
    client_id: str
    client_secret: str = ""
    # The provider's name in messages and in the audit trail, and the sign-in page's button.
    name: str = "ProConnect"
    label: str = "S'identifier avec ProConnect"
    scopes: str = "openid email profile"
    # Whether every email the provider gives is taken as verified (a provider that vouches for
    # all of them, as ProConnect does, and sends no `email_verified`); otherwise the claim
    # `email_verified` must be true for an email to match or create an account.
    trust_emails: bool = False


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "Inventaire <ne-pas-repondre@inventaire.invalid>"
    timeout: float = 30.0


@dataclass(frozen=True)
class WorkerSettings:
    """The worker's timings, and the SMTP server it delivers emails through (None: the outbox)."""

    poll_interval: float = 1.0
    batch_size: int = 10
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    # Retry n waits backoff × 2^(n-1): 10 s, 20 s, 40 s, 80 s, then an incident.
    backoff: timedelta = timedelta(seconds=10)
    max_backoff: timedelta = timedelta(hours=1)
    smtp: SmtpSettings | None = None


@dataclass(frozen=True)
class WebhookSettings:
    """Deliveries of webhooks (engine/webhooks, docs/webhooks.md): short timeouts, the retries'
    waits, and whether a subscriber may be on a private, loopback or link-local address."""

    # INVENTAIRE_WEBHOOKS_ALLOW_PRIVATE=1: allowed (tests, a receiver on the same network);
    # refused by default, at subscription and again at each delivery (the name resolved then).
    allow_private: bool = False
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    # The whole attempt, however slowly a receiver trickles its answer.
    total_timeout: float = 20.0
    # Attempt n + 1 waits backoff × 2^(n-1) (30 s, 1 min, 2 min… at most max_backoff); after
    # `max_attempts` the delivery is *En échec* (the admin page offers *Renvoyer*).
    max_attempts: int = 8
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=6)

    def delay_after(self, attempts: int) -> timedelta:
        """The wait before the next attempt, `attempts` having failed."""
        return min(self.backoff * (2 ** max(attempts - 1, 0)), self.max_backoff)


@dataclass(frozen=True)
class SessionLifetimes:
    """A signed-in session ends after `idle` without a request, and `absolute` after the
    sign-in however active it is."""

    idle: timedelta = timedelta(hours=2)
    absolute: timedelta = timedelta(hours=12)


# The service a process belongs to when its process.json names none: the CNCP's (the
# Inventaire's). The operator's unkeyed INVENTAIRE_SERVICE_* settings are this service's.
INVENTAIRE_SERVICE_ID = "cncp"


def service_key(service_id: str) -> str:
    """How an operator's settings name a service: `france-competences` is
    `FRANCE_COMPETENCES` (INVENTAIRE_SERVICE_FRANCE_COMPETENCES_ADRESSE)."""
    return re.sub(r"[^A-Z0-9]+", "_", service_id.upper()).strip("_")


@dataclass(frozen=True)
class ServiceContact:
    """The service in charge of a procedure's dossiers, as letters and acknowledgements name it
    (CRPA R. 112-5): the process gives it (process.json "service"); an operator's settings
    for that service (INVENTAIRE_SERVICE_<ID>_*) override each value they give."""

    nom: str = ""
    adresse: str = ""
    courriel: str = ""
    telephone: str = ""

    def overridden_by(self, other: ServiceContact | None) -> ServiceContact:
        """Each value `other` gives (an operator's settings) wins over this one."""
        if other is None:
            return self
        return ServiceContact(
            nom=other.nom or self.nom,
            adresse=other.adresse or self.adresse,
            courriel=other.courriel or self.courriel,
            telephone=other.telephone or self.telephone,
        )

    def template_values(self) -> dict[str, str]:
        return {
            "service_nom": self.nom,
            "service_adresse": self.adresse,
            "service_courriel": self.courriel,
            "service_telephone": self.telephone,
        }


class Links(Protocol):
    """The web addresses written in emails. The web layer knows its routes and its public
    address; the engine asks it (from a request or from the worker, outside any)."""

    def dossier(self, instance_id: int, *, submitter: bool) -> str:
        """A dossier's page: the submitter's side (`/demandes/…`) or the staff's."""
        ...

    def fiche(self, numero: str) -> str:
        """A register entry's public fiche."""
        ...

    def sign_in(self) -> str: ...

    def password_reset(self, token: str) -> str:
        """The link to choose a new password (its token is signed, single-use, one hour)."""
        ...

    def avis_expert(self, token: str) -> str:
        """The link of an expert's invitation (its token opens that dossier alone)."""
        ...


class NoLinks:
    """The engine on its own (a scenario replayed, a script): no web pages to point to."""

    def dossier(self, instance_id: int, *, submitter: bool) -> str:
        return ""

    def fiche(self, numero: str) -> str:
        return ""

    def sign_in(self) -> str:
        return ""

    def password_reset(self, token: str) -> str:
        return ""

    def avis_expert(self, token: str) -> str:
        return ""


@dataclass(frozen=True)
class EngineSettings:
    links: Links = field(default_factory=NoLinks)
    max_piece_bytes: int = DEFAULT_MAX_PIECE_BYTES
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    sessions: SessionLifetimes = field(default_factory=SessionLifetimes)
    # What the operator sets of each service's contact, by `service_key` of the service's id
    # (empty values: the process's own). One service's values never reach another's letters.
    services: Mapping[str, ServiceContact] = field(default_factory=dict)

    def service_override(self, service_id: str) -> ServiceContact | None:
        """The operator's values for the service `service_id` (process.json "service" "id")."""
        return self.services.get(service_key(service_id))

    # The antivirus every upload goes through (INVENTAIRE_CLAMD, engine/core/antivirus.py);
    # None: none configured, uploads are checked by content only.
    antivirus: Antivirus | None = None
    # Where the pieces are kept (INVENTAIRE_UPLOAD_DIR): the worker writes the generated
    # documents there. None (the engine alone: a scenario replayed, a script): none is made.
    pieces_dir: Path | None = None
    # The DSFR's files the generated PDFs take their fonts and bloc-marque from (the web
    # layer's copy of @gouvfr/dsfr); None: system fonts, no bloc-marque.
    dsfr_dir: Path | None = None
    # INVENTAIRE_OFFICIAL: an official service of the State, which alone bears the
    # République française's bloc-marque (on its pages and in its PDFs).
    official: bool = False
    # The secret the experts' invitation tokens are derived from (the web layer's secret
    # key): the database keeps only their hash, and a reminder can write the link again.
    # Empty (the engine alone): invitations cannot be sent.
    link_secret: str = ""
    # How many days before an invitation's deadline its expert is reminded (no opinion yet).
    expert_reminder_days: int = 3
    # The shortest password a person may choose (engine/people/password_policy.py).
    password_min_length: int = 12
    # TOTP two-factor sign-in for staff roles: "off", "optional" or "required-for-admins"
    # (engine/people/two_factor.py).
    totp: str = "optional"
    # The operator's key the audit trail's seals are signed with (INVENTAIRE_AUDIT_SEAL_KEY);
    # empty: the chains are linked, no seal is written.
    audit_seal_key: str = ""
    # How often the audit events are linked into their chains (the job's period, minutes).
    audit_link_minutes: int = 60
    # Retention of personal data (RGPD art. 5.1.e, docs/operations.md): an abandoned draft is
    # deleted after `retention_draft_months` untouched, its owner told `retention_notice_days`
    # before; a closed dossier's personal data is anonymised `retention_closed_months` after.
    retention_draft_months: int = 6
    retention_notice_days: int = 15
    retention_closed_months: int = 60
    # Webhooks: timeouts, retries, the private addresses guard (docs/webhooks.md). Their
    # signing secrets are derived from `link_secret`.
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    # OpenID Connect sign-in (engine/people/oidc_accounts.py); None: passwords only.
    oidc: OidcSettings | None = None

    @property
    def smtp(self) -> SmtpSettings | None:
        return self.worker.smtp

    @property
    def max_piece_size(self) -> str:
        """The piece size limit as French messages write it: « 20 Mo »."""
        return megabytes(self.max_piece_bytes)


DEFAULT_SETTINGS = EngineSettings()


def settings_of(session: Session) -> EngineSettings:
    """The settings the session's factory was made with; the defaults when none were given."""
    found = session.info.get(SESSION_INFO_KEY)
    return found if isinstance(found, EngineSettings) else DEFAULT_SETTINGS


def megabytes(count: int) -> str:
    """A size in whole megabytes the French way (« 20 Mo »), as the size checks round it."""
    return f"{count // (1024 * 1024)} Mo"
