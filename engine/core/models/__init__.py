"""The database: SQLAlchemy 2.0 typed models, one module per area (docs/architecture.md says why
each table exists, docs/glossary.md how each is named). Every name is here too, so that
`from engine.core.models import X` reads any of them; importing the package maps every table."""

from engine.core.models.absences import Absence
from engine.core.models.accounts import (
    ORGANISATION_KIND_LABELS,
    ROLE_LABELS,
    Organisation,
    OrganisationKind,
    Role,
    RoleName,
    User,
    UserRole,
)
from engine.core.models.api_tokens import ApiToken, IdempotencyKey
from engine.core.models.base import MAX_ID, NAMING_CONVENTION, Base, Id, UtcDateTime, as_id
from engine.core.models.dossiers import (
    AuditEvent,
    AuditSeal,
    Counter,
    Document,
    Instance,
    InstanceStatus,
    Submission,
    WorkItem,
    WorkItemStatus,
)
from engine.core.models.experts import (
    INVITATION_STATUS_LABELS,
    AvisExpertPiece,
    InvitationExpert,
    InvitationStatus,
)
from engine.core.models.jobs import (
    EMAIL_STATUS_LABELS,
    JOB_STATUS_LABELS,
    Email,
    EmailStatus,
    Job,
    JobStatus,
)
from engine.core.models.messagerie import (
    Annotation,
    AnnotationPiece,
    Message,
    MessagePiece,
    MessageRead,
    MessageSide,
)
from engine.core.models.oidc import OidcIdentity
from engine.core.models.processes import ProcessDraft, ProcessVersion, ProcessVersionStatus
from engine.core.models.quarantine import QuarantinedFile
from engine.core.models.register import (
    REGISTER_STATUS_LABELS,
    REGISTRE_A,
    REGISTRE_DE,
    REGISTRE_LABELS,
    RegisterEntry,
    RegisterStatus,
    RegisterVersion,
    Registre,
    registre_of,
)
from engine.core.models.seances import (
    SEANCE_STATUS_LABELS,
    Inscription,
    Seance,
    SeanceStatus,
)
from engine.core.models.sessions import LoginThrottle, UserSession
from engine.core.models.stamps import CacheStamp
from engine.core.models.two_factor import RecoveryCode, TotpEnrolment
from engine.core.models.webhooks import (
    DELIVERY_STATUS_LABELS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from engine.core.models.worklists import ExportFile, ExportStatus, SavedView

__all__ = [
    "DELIVERY_STATUS_LABELS",
    "EMAIL_STATUS_LABELS",
    "INVITATION_STATUS_LABELS",
    "JOB_STATUS_LABELS",
    "MAX_ID",
    "NAMING_CONVENTION",
    "ORGANISATION_KIND_LABELS",
    "REGISTER_STATUS_LABELS",
    "REGISTRE_A",
    "REGISTRE_DE",
    "REGISTRE_LABELS",
    "ROLE_LABELS",
    "SEANCE_STATUS_LABELS",
    "Absence",
    "Annotation",
    "AnnotationPiece",
    "ApiToken",
    "AuditEvent",
    "AuditSeal",
    "AvisExpertPiece",
    "Base",
    "CacheStamp",
    "Counter",
    "DeliveryStatus",
    "Document",
    "Email",
    "EmailStatus",
    "ExportFile",
    "ExportStatus",
    "Id",
    "IdempotencyKey",
    "Inscription",
    "Instance",
    "InstanceStatus",
    "InvitationExpert",
    "InvitationStatus",
    "Job",
    "JobStatus",
    "LoginThrottle",
    "Message",
    "MessagePiece",
    "MessageRead",
    "MessageSide",
    "OidcIdentity",
    "Organisation",
    "OrganisationKind",
    "ProcessDraft",
    "ProcessVersion",
    "ProcessVersionStatus",
    "QuarantinedFile",
    "RecoveryCode",
    "RegisterEntry",
    "RegisterStatus",
    "RegisterVersion",
    "Registre",
    "Role",
    "RoleName",
    "SavedView",
    "Seance",
    "SeanceStatus",
    "Submission",
    "TotpEnrolment",
    "User",
    "UserRole",
    "UserSession",
    "UtcDateTime",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorkItem",
    "WorkItemStatus",
    "as_id",
    "registre_of",
]
